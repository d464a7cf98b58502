package dev.ember.devices.legacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.arch.x86.AcpiPm;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AcpiPmRegistersTest {
    private final AtomicInteger code = new AtomicInteger(-1);
    private final AtomicReference<String> why = new AtomicReference<>();
    private final AcpiPmRegisters dev = new AcpiPmRegisters((c, r) -> { code.set(c); why.set(r); });
    private static final int CNT = AcpiPm.PM1A_CNT_PORT - AcpiPm.PM1A_EVT_PORT;

    @Test
    void linuxPowerOffSequenceEndsTheVmWithZero() {
        int typ = AcpiPm.SLP_TYP_S5 << AcpiPm.SLP_TYP_SHIFT;
        // ACPICA's acpi_hw_legacy_sleep: clear status, write SLP_TYP, then SLP_TYP|SLP_EN.
        dev.write(0, 2, 0xffff);
        int cnt = (int) dev.read(CNT, 2);
        dev.write(CNT, 2, cnt | typ);
        assertEquals(-1, code.get(), "SLP_TYP alone does not sleep");
        dev.write(CNT, 2, cnt | typ | AcpiPm.SLP_EN);
        assertEquals(0, code.get());
        assertTrue(why.get().contains("powered off"), why.get());
    }

    @Test
    void controlReadsAcpiModeAndSlpEnNeverSticks() {
        assertEquals(AcpiPm.SCI_EN, dev.read(CNT, 2));
        dev.write(CNT, 2, (1 << AcpiPm.SLP_TYP_SHIFT) | AcpiPm.SLP_EN);   // S1: not offered, ignored
        assertEquals(-1, code.get());
        assertEquals(AcpiPm.SCI_EN | (1 << AcpiPm.SLP_TYP_SHIFT), dev.read(CNT, 2));
    }

    @Test
    void byteWiseWriteOfTheHighControlByteAlsoPowersOff() {
        dev.write(CNT + 1, 1, ((AcpiPm.SLP_TYP_S5 << AcpiPm.SLP_TYP_SHIFT) | AcpiPm.SLP_EN) >>> 8);
        assertEquals(0, code.get());
    }

    @Test
    void enableRegisterKeepsItsValueAndStatusStaysClear() {
        dev.write(2, 2, 0x0121);
        assertEquals(0x0121, dev.read(2, 2));
        assertEquals(0x0121_0000L, dev.read(0, 4));
        dev.write(0, 2, 0x8000);
        assertEquals(0, dev.read(0, 2));
        assertEquals(-1, code.get());
    }
}
