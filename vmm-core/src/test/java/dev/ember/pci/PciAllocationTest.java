package dev.ember.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.bus.Bus;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * The guest's paths through PCI allocate nothing once warm: ECAM reads and writes of registers
 * that move no BAR, MSI-X table writes of an entry already routed, and signalling a vector
 * (masked: pending bit; unmasked: the sink).
 */
class PciAllocationTest {
    private static final int ROUNDS = 20_000;

    @Test
    void ecamAccessesMsixTableWritesAndSignalsAllocateNothing() {
        Bus mmio = new Bus("mmio");
        PciRootComplex root = new PciRootComplex(mmio, new PciWindow("32-bit", PciLayout.MMIO32_BASE, PciLayout.MMIO32_SIZE),
                new PciWindow("64-bit", 0x40_0000_0000L, 1L << 30));
        PciRootComplexTest.TestFunction f = new PciRootComplexTest.TestFunction();
        int[] delivered = new int[1];
        MsiVectors sink = new MsiVectors() {
            @Override public int count() { return 2; }
            @Override public void route(int vector, long address, int data) {}
            @Override public boolean signal(int vector) { delivered[0]++; return true; }
        };
        MsixCapability msix = new MsixCapability(f.config, sink, 0, 0, 0, 0x800);
        int slot = root.attach(f);
        long cfg = PciLayout.ECAM_BASE + ((long) slot << 15);
        mmio.write(cfg + msix.capabilityOffset() + 2, 2, MsixCapability.CONTROL_ENABLE);
        msix.tableHandler().write(0, 4, 0xfee0_0000L);
        msix.tableHandler().write(12, 4, 0);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        long before = 0;
        for (int pass = 0; pass < 2; pass++) { // the first pass warms up (JIT, monitor inflation)
            before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < ROUNDS; i++) {
                sum += mmio.read(cfg, 4) + mmio.read(cfg + PciConfigSpace.COMMAND, 2) + mmio.read(cfg + (3 << 15), 4);
                mmio.write(cfg + PciConfigSpace.INTERRUPT_LINE, 1, i & 0xff);
                msix.tableHandler().write(8, 4, 0x30);
                msix.signal(0);
                msix.signal(1);
                sum += msix.pbaHandler().read(0, 8) + msix.tableHandler().read(8, 4);
            }
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(sum != 0);
        assertEquals(2 * ROUNDS, delivered[0], "vector 0 delivered every time (vector 1 stays masked, pending)");
        assertTrue(msix.isPending(1));
        assertTrue(allocated < 16 * 1024, "PCI paths allocated " + allocated + " bytes over " + ROUNDS + " rounds");
    }
}
