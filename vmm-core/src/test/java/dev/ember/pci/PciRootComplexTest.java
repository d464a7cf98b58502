package dev.ember.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.bus.Bus;
import dev.ember.bus.BusDevice;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PciRootComplexTest {
    private static final long ECAM = PciLayout.ECAM_BASE;

    /** A function with one 32-bit and one 64-bit BAR whose handlers answer their BAR number. */
    static final class TestFunction implements PciFunction {
        final PciConfigSpace config = new PciConfigSpace(0x1af4, 0x1042, 0x010000, 1);
        final List<String> events = new ArrayList<>();

        TestFunction() {
            config.setBar(PciBar.memory32(0, 0x2000));
            config.setBar(PciBar.memory64(2, 0x4000));
        }

        @Override
        public PciConfigSpace configSpace() {
            return config;
        }

        @Override
        public BusDevice barHandler(int index) {
            return new BusDevice() {
                @Override
                public long read(long offset, int size) {
                    return index * 0x100 + offset;
                }

                @Override
                public void write(long offset, int size, long value) {}
            };
        }

        @Override
        public void barMapped(int index, long address) {
            events.add(String.format("mapped %d 0x%x", index, address));
        }

        @Override
        public void barUnmapped(int index, long address) {
            events.add(String.format("unmapped %d 0x%x", index, address));
        }

        @Override
        public String name() {
            return "test";
        }
    }

    private final Bus mmio = new Bus("mmio");
    private final PciWindow mmio32 = new PciWindow("32-bit", PciLayout.MMIO32_BASE, PciLayout.MMIO32_SIZE);
    private final PciWindow mmio64 = new PciWindow("64-bit", 0x40_0000_0000L, 1L << 30);
    private final PciRootComplex root = new PciRootComplex(mmio, mmio32, mmio64);

    private static long config(int slot, int register) {
        return ECAM + ((long) slot << 15) + register;
    }

    @Test
    void theHostBridgeSitsAt00_00_0AndEmptySlotsReadAllOnes() {
        assertEquals(0x0008_1b36L, mmio.read(config(0, 0), 4));
        assertEquals(0x06, mmio.read(config(0, PciConfigSpace.CLASS_CODE + 2), 1));
        assertEquals(0, mmio.read(config(0, PciConfigSpace.HEADER_TYPE), 1), "single-function, type 0");
        assertEquals(0xffff_ffffL, mmio.read(config(1, 0), 4));
        assertEquals(0xffffL, mmio.read(config(31, 0), 2));
        assertEquals(0xffff_ffffL, mmio.read(ECAM + (1 << 12), 4), "function 1 of slot 0 is absent");
    }

    @Test
    void attachGivesTheNextSlotAndAddressesInTheRightWindows() {
        TestFunction f = new TestFunction();
        assertEquals(1, root.attach(f));
        assertEquals(0x1042_1af4L, mmio.read(config(1, 0), 4));
        assertEquals(PciLayout.MMIO32_BASE, mmio.read(config(1, PciConfigSpace.BAR0), 4));
        assertEquals(0x40_0000_0000L | 0b100, mmio.read(config(1, PciConfigSpace.BAR0 + 8), 4) | mmio.read(config(1, PciConfigSpace.BAR0 + 12), 4) << 32);
        assertEquals(2, root.attach(new TestFunction()));
        assertEquals(PciLayout.MMIO32_BASE + 0x2000, mmio.read(config(2, PciConfigSpace.BAR0), 4));
    }

    @Test
    void barsDecodeOnlyWhileMemorySpaceIsEnabledAndFollowTheGuestsMoves() {
        TestFunction f = new TestFunction();
        root.attach(f);
        long bar0 = PciLayout.MMIO32_BASE;
        assertEquals(0xffff_ffffL, mmio.read(bar0 + 4, 4), "not decoded before Memory Space Enable");
        mmio.write(config(1, PciConfigSpace.COMMAND), 2, PciConfigSpace.COMMAND_MEMORY_SPACE);
        assertEquals(4, mmio.read(bar0 + 4, 4));
        assertEquals(0x204, mmio.read(0x40_0000_0004L, 4));
        // Linux's sizing: decode off, all-ones, read back, restore, decode on.
        mmio.write(config(1, PciConfigSpace.COMMAND), 2, 0);
        mmio.write(config(1, PciConfigSpace.BAR0), 4, 0xffff_ffffL);
        assertEquals(0xffff_e000L, mmio.read(config(1, PciConfigSpace.BAR0), 4));
        mmio.write(config(1, PciConfigSpace.BAR0), 4, 0xe800_0000L);
        mmio.write(config(1, PciConfigSpace.COMMAND), 2, PciConfigSpace.COMMAND_MEMORY_SPACE);
        assertEquals(0xffff_ffffL, mmio.read(bar0 + 4, 4), "the old address is free again");
        assertEquals(4, mmio.read(0xe800_0004L, 4));
        assertEquals(List.of(
                String.format("mapped 0 0x%x", bar0), "mapped 2 0x4000000000",
                String.format("unmapped 0 0x%x", bar0), "unmapped 2 0x4000000000",
                "mapped 0 0xe8000000", "mapped 2 0x4000000000"), f.events);
    }

    @Test
    void aBarMovedOntoAnotherDeviceDecodesNowhere() {
        TestFunction f = new TestFunction();
        root.attach(f);
        mmio.write(config(1, PciConfigSpace.BAR0), 4, ECAM);
        mmio.write(config(1, PciConfigSpace.COMMAND), 2, PciConfigSpace.COMMAND_MEMORY_SPACE);
        assertEquals(0x0008_1b36L, mmio.read(config(0, 0), 4), "ECAM still answers");
        assertEquals(List.of("mapped 2 0x4000000000"), f.events);
    }

    @Test
    void resourcesDescribeTheEcamWindowBusRangeAndBothBarWindows() {
        PciResources r = root.resources();
        assertEquals(new PciResources(ECAM, 1 << 20, 0, 0, PciLayout.MMIO32_BASE, PciLayout.MMIO32_SIZE, 0x40_0000_0000L, 1L << 30), r);
        assertTrue(r.mmio32Base() + r.mmio32Size() <= 0xfec0_0000L, "below the IOAPIC");
    }

    @Test
    void theBusHoldsAtMost32FunctionsAndAWindowRefusesWhatDoesNotFit() {
        for (int i = 1; i < PciRootComplex.SLOTS; i++) {
            root.attach(new TestFunction());
        }
        assertEquals(PciException.Reason.NO_FREE_SLOT, assertThrows(PciException.class, () -> root.attach(new TestFunction())).reason());
        PciWindow small = new PciWindow("small", 0x1000_0000L, 0x3000);
        small.allocate(0x2000);
        assertEquals(PciException.Reason.WINDOW_EXHAUSTED, assertThrows(PciException.class, () -> small.allocate(0x2000)).reason());
    }
}
