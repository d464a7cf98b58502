package dev.ember.arch.x86;

import java.nio.ByteBuffer;

/**
 * The Fixed ACPI Description Table (ACPI 6.5 table 5.9, revision 6, 276 bytes): where the FACS
 * and DSDT are, the SCI, the PM1a event and control blocks of {@link AcpiPm} (as 32-bit port
 * numbers and as Generic Address Structures) and the boot architecture flags. No SMI command
 * port: the machine is always in ACPI mode.
 */
final class Fadt {
    static final int SIZE = 276, REVISION = 6, MINOR_REVISION = 5;
    static final int FIRMWARE_CTRL = 36, DSDT = 40, PREFERRED_PM_PROFILE = 45, SCI_INT = 46, SMI_CMD = 48,
            PM1A_EVT_BLK = 56, PM1A_CNT_BLK = 64, PM_TMR_BLK = 76, PM1_EVT_LEN = 88, PM1_CNT_LEN = 89,
            PM_TMR_LEN = 91, IAPC_BOOT_ARCH = 109, FLAGS = 112, RESET_REG = 116, MINOR_VERSION = 131,
            X_FIRMWARE_CTRL = 132, X_DSDT = 140, X_PM1A_EVT_BLK = 148, X_PM1A_CNT_BLK = 172,
            SLEEP_CONTROL_REG = 244, SLEEP_STATUS_REG = 256, HYPERVISOR_VENDOR = 268;
    // Generic Address Structure (table 5.1)
    static final int GAS_SIZE = 12, GAS_SPACE = 0, GAS_BIT_WIDTH = 1, GAS_BIT_OFFSET = 2, GAS_ACCESS_SIZE = 3,
            GAS_ADDRESS = 4;
    static final int SPACE_SYSTEM_IO = 1, ACCESS_WORD = 2;

    /** IA-PC boot architecture flags: an 8042 is there (Ctrl-Alt-Del, reboot=k), no VGA, no CMOS RTC. */
    static final int BOOT_ARCH_8042 = 1 << 1, BOOT_ARCH_NO_VGA = 1 << 2, BOOT_ARCH_NO_CMOS_RTC = 1 << 5;
    /**
     * WBINVD works; power and sleep buttons are not fixed-feature buttons (there are none); RTC
     * wake status is not in the fixed registers (no RTC); HW_REDUCED_ACPI stays clear (see AcpiTables).
     */
    static final int FLAG_WBINVD = 1, FLAG_PWR_BUTTON = 1 << 4, FLAG_SLP_BUTTON = 1 << 5, FLAG_FIX_RTC = 1 << 6,
            FLAG_HW_REDUCED_ACPI = 1 << 20;

    private Fadt() {}

    static byte[] build(long facs, long dsdt) {
        ByteBuffer b = AcpiTables.table("FACP", REVISION, SIZE);
        // The 32-bit FIRMWARE_CTRL and DSDT stay 0: ACPI says so when the X_ fields are used.
        b.putShort(SCI_INT, (short) AcpiPm.SCI_IRQ);
        b.putInt(PM1A_EVT_BLK, AcpiPm.PM1A_EVT_PORT);
        b.putInt(PM1A_CNT_BLK, AcpiPm.PM1A_CNT_PORT);
        b.put(PM1_EVT_LEN, (byte) AcpiPm.PM1_EVT_LEN);
        b.put(PM1_CNT_LEN, (byte) AcpiPm.PM1_CNT_LEN);
        b.putShort(IAPC_BOOT_ARCH, (short) (BOOT_ARCH_8042 | BOOT_ARCH_NO_VGA | BOOT_ARCH_NO_CMOS_RTC));
        b.putInt(FLAGS, FLAG_WBINVD | FLAG_PWR_BUTTON | FLAG_SLP_BUTTON | FLAG_FIX_RTC);
        b.put(MINOR_VERSION, (byte) MINOR_REVISION);
        b.putLong(X_FIRMWARE_CTRL, facs);
        b.putLong(X_DSDT, dsdt);
        gas(b, X_PM1A_EVT_BLK, AcpiPm.PM1_EVT_LEN * 8, AcpiPm.PM1A_EVT_PORT);
        gas(b, X_PM1A_CNT_BLK, AcpiPm.PM1_CNT_LEN * 8, AcpiPm.PM1A_CNT_PORT);
        b.put(HYPERVISOR_VENDOR, AcpiTables.ascii("EMBERVMM"));
        return AcpiTables.seal(b);
    }

    private static void gas(ByteBuffer b, int at, int bitWidth, long port) {
        b.put(at + GAS_SPACE, (byte) SPACE_SYSTEM_IO);
        b.put(at + GAS_BIT_WIDTH, (byte) bitWidth);
        b.put(at + GAS_ACCESS_SIZE, (byte) ACCESS_WORD);
        b.putLong(at + GAS_ADDRESS, port);
    }
}
