package dev.ember.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PciConfigSpaceTest {
    private final PciConfigSpace cs = new PciConfigSpace(0x1af4, 0x1042, 0x010000, 1).subsystem(0x1af4, 0x0002);

    @Test
    void headerFieldsAreReadOnlyAndReadAsLittleEndian() {
        assertEquals(0x1042_1af4, cs.read(0, 4));
        assertEquals(0x1af4, cs.read(0, 2));
        assertEquals(0x1a, cs.read(1, 1));
        assertEquals(0x0100_0001, cs.read(PciConfigSpace.REVISION_ID, 4));
        cs.write(0, 4, 0xdead_beef);
        cs.write(PciConfigSpace.CLASS_CODE - 1, 4, -1);
        assertEquals(0x1042_1af4, cs.read(0, 4));
        assertEquals(0x0100_0001, cs.read(PciConfigSpace.REVISION_ID, 4));
        assertEquals(0x0002_1af4, cs.read(PciConfigSpace.SUBSYSTEM_VENDOR_ID, 4));
    }

    @Test
    void commandTakesOnlyItsWritableBitsAndStatusErrorBitsAreWriteOneToClear() {
        cs.write(PciConfigSpace.COMMAND, 2, 0xffff);
        assertEquals(0x0407, cs.read(PciConfigSpace.COMMAND, 2));
        cs.set(PciConfigSpace.STATUS, 2, 0x8000 | 0x0100 | PciConfigSpace.STATUS_CAPABILITIES);
        cs.write(PciConfigSpace.STATUS, 2, 0x8000);
        assertEquals(0x0100 | PciConfigSpace.STATUS_CAPABILITIES, cs.read(PciConfigSpace.STATUS, 2));
        cs.write(PciConfigSpace.INTERRUPT_LINE, 1, 0x0b);
        assertEquals(0x0b, cs.read(PciConfigSpace.INTERRUPT_LINE, 1));
    }

    @Test
    void a32BitBarReadsItsSizeMaskAfterAllOnesAndKeepsAnAlignedAddress() {
        cs.setBar(PciBar.memory32(0, 0x4000));
        cs.write(PciConfigSpace.BAR0, 4, -1);
        assertEquals(0xffff_c000, cs.read(PciConfigSpace.BAR0, 4));
        cs.write(PciConfigSpace.BAR0, 4, 0xe012_3456);
        assertEquals(0xe012_0000, cs.read(PciConfigSpace.BAR0, 4));
        assertEquals(0xe012_0000L, cs.barAddress(0));
    }

    @Test
    void a64BitBarSizesThroughBothHalvesAndReportsItsTypeBits() {
        cs.setBar(new PciBar(2, 0x10_0000, true, true));
        int low = PciConfigSpace.BAR0 + 8;
        assertEquals(0b1100, cs.read(low, 4));
        cs.write(low, 4, -1);
        cs.write(low + 4, 4, -1);
        assertEquals(0xfff0_000c, cs.read(low, 4));
        assertEquals(0xffff_ffff, cs.read(low + 4, 4));
        cs.write(low, 4, 0x4010_0000);
        cs.write(low + 4, 4, 0x12);
        assertEquals(0x12_4010_0000L, cs.barAddress(2));
        cs.setBarAddress(2, 0x40_0000_0000L);
        assertEquals(0x40_0000_0000L, cs.barAddress(2));
    }

    @Test
    void aBarLargerThan4GiBMasksTheUpperHalfToo() {
        cs.setBar(PciBar.memory64(0, 1L << 33));
        cs.write(PciConfigSpace.BAR0, 4, -1);
        cs.write(PciConfigSpace.BAR0 + 4, 4, -1);
        assertEquals(0x0000_0004, cs.read(PciConfigSpace.BAR0, 4));
        assertEquals(0xffff_fffe, cs.read(PciConfigSpace.BAR0 + 4, 4));
    }

    @Test
    void overlappingOrMalformedBarsAreRefused() {
        cs.setBar(PciBar.memory64(0, 0x1000));
        assertEquals(PciException.Reason.INVALID_LAYOUT, assertThrows(PciException.class, () -> cs.setBar(PciBar.memory32(1, 0x1000))).reason());
        assertEquals(PciException.Reason.INVALID_LAYOUT, assertThrows(PciException.class, () -> PciBar.memory32(2, 0x3000)).reason());
        assertEquals(PciException.Reason.INVALID_LAYOUT, assertThrows(PciException.class, () -> PciBar.memory64(5, 0x1000)).reason());
        assertEquals(PciException.Reason.INVALID_LAYOUT, assertThrows(PciException.class, () -> cs.setBarAddress(0, 0x1800)).reason());
    }

    @Test
    void capabilitiesFormAChainTheGuestCanWalk() {
        int first = cs.addCapability(PciConfigSpace.CAP_ID_VENDOR, 16, null);
        int second = cs.addCapability(PciConfigSpace.CAP_ID_VENDOR, 19, null);
        int third = cs.addCapability(PciConfigSpace.CAP_ID_MSIX, 12, null);
        assertEquals(PciConfigSpace.STATUS_CAPABILITIES, cs.read(PciConfigSpace.STATUS, 2) & PciConfigSpace.STATUS_CAPABILITIES);
        List<Integer> walked = new ArrayList<>();
        for (int p = cs.read(PciConfigSpace.CAPABILITIES_POINTER, 1); p != 0; p = cs.read(p + 1, 1)) {
            walked.add(p);
        }
        assertEquals(List.of(first, second, third), walked);
        assertEquals(0x40, first);
        assertEquals(0x50, second);
        assertEquals(0x64, third);
        assertEquals(PciConfigSpace.CAP_ID_MSIX, cs.read(third, 1));
    }

    @Test
    void capabilityListenersHearOnlyWritesThatTouchTheirCapability() {
        List<String> heard = new ArrayList<>();
        int a = cs.addCapability(PciConfigSpace.CAP_ID_VENDOR, 8, (off, size) -> heard.add("a@" + off + "/" + size));
        int b = cs.addCapability(PciConfigSpace.CAP_ID_VENDOR, 8, (off, size) -> heard.add("b@" + off + "/" + size));
        cs.setWriteMask(b + 4, 4, -1);
        cs.write(b + 4, 4, 0x1234_5678);
        cs.write(a + 4, 2, 1);
        cs.write(PciConfigSpace.COMMAND, 2, 2);
        assertEquals(List.of("b@" + (b + 4) + "/4", "a@" + (a + 4) + "/2"), heard);
        assertEquals(0x1234_5678, cs.read(b + 4, 4));
        assertEquals(0, cs.read(a + 4, 2));
    }

    @Test
    void capabilitiesBeyondTheFirst256BytesAreRefused() {
        cs.addCapability(PciConfigSpace.CAP_ID_VENDOR, 0xb0, null);
        assertEquals(PciException.Reason.CAPABILITY_SPACE_FULL,
                assertThrows(PciException.class, () -> cs.addCapability(PciConfigSpace.CAP_ID_VENDOR, 0x20, null)).reason());
    }

    @Test
    void misalignedOrOutOfRangeAccessesReadAllOnesAndWriteNothing() {
        assertEquals(0xffff_ffff, cs.read(2, 4));
        assertEquals(0xffff, cs.read(PciConfigSpace.SIZE - 1, 2));
        assertEquals(0xff, cs.read(PciConfigSpace.SIZE, 1));
        cs.write(PciConfigSpace.COMMAND + 1, 2, 0xffff);
        assertEquals(0, cs.read(PciConfigSpace.COMMAND, 2));
    }

    @Test
    void savedBytesRestoreIntoAFunctionBuiltTheSameWay() {
        cs.setBar(PciBar.memory32(0, 0x1000));
        cs.write(PciConfigSpace.BAR0, 4, 0xe000_0000);
        cs.write(PciConfigSpace.COMMAND, 2, 6);
        PciConfigSpace other = new PciConfigSpace(0x1af4, 0x1042, 0x010000, 1);
        other.setBar(PciBar.memory32(0, 0x1000));
        other.restoreBytes(cs.saveBytes());
        assertEquals(0xe000_0000L, other.barAddress(0));
        assertEquals(6, other.read(PciConfigSpace.COMMAND, 2));
    }
}
