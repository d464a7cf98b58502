package dev.ember.devices.legacy;

import dev.ember.arch.x86.AcpiPm;
import dev.ember.bus.BusDevice;
import dev.ember.vm.ExitRequest;

/**
 * The ACPI PM1a event and control registers the FADT points at ({@link AcpiPm}): PM1_STS,
 * PM1_EN, PM1_CNT. A guest that enters S5 (soft-off: SLP_TYP = {@link AcpiPm#SLP_TYP_S5} with
 * SLP_EN in one PM1_CNT write, as Linux's {@code poweroff} does) ends the VM with exit code 0,
 * like a reset through the i8042. PM1_CNT reads SCI_EN set (always in ACPI mode); no event is
 * ever raised, so PM1_STS reads 0. Other sleep states are not offered by the DSDT and are ignored.
 */
public final class AcpiPmRegisters implements BusDevice {
    /** Exit code of a guest power-off: a clean shutdown. */
    public static final int POWER_OFF_EXIT_CODE = 0;
    private static final int STS = 0, EN = 2, CNT = AcpiPm.PM1_EVT_LEN;

    private final ExitRequest exit;
    /** PM1_STS, PM1_EN, PM1_CNT as little-endian bytes at their port offsets. */
    private final byte[] regs = new byte[AcpiPm.PORT_COUNT];

    public AcpiPmRegisters(ExitRequest exit) {
        this.exit = exit;
        regs[CNT] = (byte) AcpiPm.SCI_EN;
    }

    @Override
    public long read(long offset, int size) {
        long v = 0;
        for (int i = 0; i < size; i++) {
            long at = offset + i;
            if (at >= 0 && at < regs.length) {
                v |= (regs[(int) at] & 0xffL) << (8 * i);
            }
        }
        return v;
    }

    @Override
    public void write(long offset, int size, long value) {
        boolean control = false;
        for (int i = 0; i < size; i++) {
            long at = offset + i;
            byte b = (byte) (value >>> (8 * i));
            if (at >= EN && at < CNT) {
                regs[(int) at] = b;                 // PM1_EN keeps what is written
            } else if (at >= CNT && at < regs.length) {
                regs[(int) at] = b;
                control = true;
            }                                       // PM1_STS is write-1-to-clear and never set
        }
        if (!control) {
            return;
        }
        int cnt = (regs[CNT] & 0xff) | (regs[CNT + 1] & 0xff) << 8;
        regs[CNT] |= (byte) AcpiPm.SCI_EN;
        regs[CNT + 1] &= (byte) ~(AcpiPm.SLP_EN >>> 8);   // SLP_EN is write-only, reads 0
        if ((cnt & AcpiPm.SLP_EN) != 0 && (cnt & AcpiPm.SLP_TYP_MASK) >>> AcpiPm.SLP_TYP_SHIFT == AcpiPm.SLP_TYP_S5) {
            exit.requestExit(POWER_OFF_EXIT_CODE, "guest powered off (ACPI S5 through PM1a_CNT)");
        }
    }
}
