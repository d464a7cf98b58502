package dev.ember.devices.virtio;

import static dev.ember.devices.virtio.pci.VirtioPciLayout.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;
import dev.ember.pci.PciConfigSpace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * virtio-blk over the virtio-pci transport, driven like a guest's driver: found through ECAM,
 * configured through the capabilities in BAR 0, interrupts as MSI-X messages, bytes read back
 * from a real image file.
 */
@ExtendWith(GuestMemoryAndLoop.class)
class VirtioPciTransportTest {
    static GuestMemory mem;
    static EventLoop loop;
    @TempDir Path dir;

    static final long HDR = 0x200000, STATUS = 0x201000, DATA = 0x300000;

    VirtioBlock block() throws IOException {
        Path img = Files.createTempFile(dir, "disk", ".img");
        byte[] b = new byte[64 * 512];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i / 512 + 1);
        }
        Files.write(img, b);
        return new VirtioBlock("pci" + Long.toHexString(System.nanoTime() & 0xfffff), img, false, BlockCacheType.UNSAFE, null,
                BlockIoEngine.SYNC);
    }

    /** Reads {@code sector} into DATA through queue 0 and waits for the used ring. */
    int readSector(PciTestDriver d, TestRing ring, long sector) {
        mem.putInt(HDR, VirtioBlock.T_IN);
        mem.putInt(HDR + 4, 0);
        mem.putLong(HDR + 8, sector);
        mem.putByte(STATUS, (byte) 0x7f);
        ring.setDesc(0, HDR, 16, Virtio.DESC_F_NEXT, 1);
        ring.setDesc(1, DATA, 512, Virtio.DESC_F_NEXT | Virtio.DESC_F_WRITE, 2);
        ring.setDesc(2, STATUS, 1, Virtio.DESC_F_WRITE, 0);
        int before = ring.usedIdx();
        ring.publish(0);
        d.kick(0);
        TestDriver.await(() -> ring.usedIdx() != before, "the request to complete");
        return mem.getByte(STATUS) & 0xff;
    }

    PciTestDriver readyDriver(VirtioBlock blk, TestRing ring) {
        PciTestDriver d = new PciTestDriver(mem, loop, blk);
        d.probe();
        d.enableMemory();
        d.enableMsix();
        d.negotiate();
        d.cw(MSIX_CONFIG, 2, 0);
        d.setupQueue(0, ring, 1);
        d.driverOk();
        return d;
    }

    @Test
    void headerAndCapabilitiesDescribeAModernVirtioBlockFunction() throws IOException {
        try (PciTestDriver d = new PciTestDriver(mem, loop, block())) {
            assertEquals(0x1af4, d.cfg(PciConfigSpace.VENDOR_ID, 2));
            assertEquals(0x1040 + Virtio.DEVICE_ID_BLOCK, d.cfg(PciConfigSpace.DEVICE_ID, 2));
            assertEquals(1, d.cfg(PciConfigSpace.REVISION_ID, 1), "revision 1: modern only");
            assertEquals(0x018000, d.cfg(PciConfigSpace.REVISION_ID, 4) >>> 8, "class: mass storage, other");
            assertEquals(0x1af4, d.cfg(PciConfigSpace.SUBSYSTEM_VENDOR_ID, 2));
            assertTrue(d.cfg(PciConfigSpace.SUBSYSTEM_ID, 2) >= 0x40);
            assertEquals(0, d.cfg(PciConfigSpace.INTERRUPT_PIN, 1), "MSI-X only: no INTx pin");
            d.probe();
            assertEquals(COMMON_CFG_OFFSET, d.common);
            assertEquals(NOTIFY_OFFSET, d.notify);
            assertEquals(ISR_OFFSET, d.isr);
            assertEquals(DEVICE_CFG_OFFSET, d.device);
            assertNotEquals(0, d.pciCfg, "a PCI_CFG access window");
            assertNotEquals(0, d.msixCap, "MSI-X");
            assertEquals(4, d.notifyMultiplier);
            assertEquals(2, (d.cfg(d.msixCap + 2, 2) & 0x7ff) + 1, "a vector per queue and one for configuration changes");
            assertEquals(MSIX_TABLE_OFFSET | BAR_INDEX, d.cfg(d.msixCap + 4, 4));
            assertEquals(MSIX_PBA_OFFSET | BAR_INDEX, d.cfg(d.msixCap + 8, 4));
            // BAR 0: 64-bit memory, sized by the all-ones probe.
            assertEquals(0b100, d.cfg(PciConfigSpace.BAR0, 4) & 0b111);
            assertTrue(d.bar >= PciTestDriver.MMIO64_BASE, "a 64-bit BAR above 4 GiB");
            d.cfgWrite(PciConfigSpace.BAR0, 4, -1);
            d.cfgWrite(PciConfigSpace.BAR0 + 4, 4, -1);
            long mask = (d.cfg(PciConfigSpace.BAR0, 4) & 0xffff_fff0L) | (long) d.cfg(PciConfigSpace.BAR0 + 4, 4) << 32;
            assertEquals(BAR_SIZE, -mask);
        }
    }

    @Test
    void aDriverReadsASectorAndGetsItsQueuesMsixVector() throws IOException {
        TestRing ring = new TestRing(mem, 16, 0x10000);
        try (PciTestDriver d = readyDriver(block(), ring)) {
            assertEquals(1, d.c(NUM_QUEUES, 2));
            assertEquals(0, d.c(QUEUE_NOTIFY_OFF, 2));
            assertEquals(0, d.status() & Virtio.STATUS_DEVICE_NEEDS_RESET);
            assertEquals(PciTestDriver.MSI_ADDRESS, d.routedAddress[1], "vector 1 routed as its table entry says");
            assertEquals(0x31, d.routedData[1]);
            assertEquals(VirtioBlock.S_OK, readSector(d, ring, 5));
            byte[] got = new byte[512];
            mem.read(DATA, got, 0, 512);
            byte[] want = new byte[512];
            java.util.Arrays.fill(want, (byte) 6);
            assertArrayEquals(want, got, "sector 5's bytes from the image");
            TestDriver.await(() -> d.signals.get(1) > 0, "the queue's MSI-X vector");
            assertEquals(0, d.signals.get(0), "no configuration change");
            // The device configuration structure is the block config: capacity in sectors.
            assertEquals(64, d.bus.read(d.bar + d.device, 8));
        }
    }

    /** The device models do not know their transport: virtio-rng over PCI fills a buffer and signals its vector. */
    @Test
    void entropyOverPciFillsTheBufferAndSignalsItsVector() {
        TestRing ring = new TestRing(mem, 16, 0x10000);
        dev.ember.devices.virtio.rng.VirtioRng rng = new dev.ember.devices.virtio.rng.VirtioRng(null);
        try (PciTestDriver d = new PciTestDriver(mem, loop, rng)) {
            d.probe();
            d.enableMemory();
            d.enableMsix();
            assertEquals(0x1040 + dev.ember.devices.virtio.rng.VirtioRng.DEVICE_ID, d.cfg(PciConfigSpace.DEVICE_ID, 2));
            assertEquals(0xff0000, d.cfg(PciConfigSpace.REVISION_ID, 4) >>> 8, "class: other");
            d.negotiate();
            d.setupQueue(0, ring, 1);
            d.driverOk();
            mem.fill(DATA, 256, (byte) 0);
            ring.setDesc(0, DATA, 256, Virtio.DESC_F_WRITE, 0);
            ring.publish(0);
            d.kick(0);
            TestDriver.await(() -> ring.usedIdx() == 1, "the entropy request");
            assertEquals(256, ring.usedLen(0));
            byte[] got = new byte[256];
            mem.read(DATA, got, 0, 256);
            int nonZero = 0;
            for (byte b : got) {
                nonZero += b != 0 ? 1 : 0;
            }
            assertTrue(nonZero > 200, "random bytes, not the zeroes the buffer held: " + nonZero + " of 256 non-zero");
            TestDriver.await(() -> d.signals.get(1) > 0, "the queue's MSI-X vector");
        }
    }

    @Test
    void vectorsTheTableDoesNotHaveReadBackAsNoVectorAndBadAccessesAreCounted() throws IOException {
        VirtioBlock blk = block();
        try (PciTestDriver d = new PciTestDriver(mem, loop, blk)) {
            d.probe();
            d.enableMemory();
            d.negotiate();
            long fails = blk.metrics().cfgFails.get();
            d.cw(MSIX_CONFIG, 2, 7);
            assertEquals(NO_VECTOR, d.c(MSIX_CONFIG, 2));
            d.cw(QUEUE_SELECT, 2, 0);
            d.cw(QUEUE_MSIX_VECTOR, 2, 0x1234);
            assertEquals(NO_VECTOR, d.c(QUEUE_MSIX_VECTOR, 2));
            d.cw(QUEUE_SELECT, 2, 9);
            assertEquals(0, d.c(QUEUE_SIZE, 2), "a queue that does not exist has size 0");
            assertEquals(NO_VECTOR, d.c(QUEUE_MSIX_VECTOR, 2));
            d.cw(QUEUE_SELECT, 2, 0);
            assertEquals(Virtio.MAX_QUEUE_SIZE, d.c(QUEUE_SIZE, 2));
            d.cw(NUM_QUEUES, 2, 5); // read-only
            d.cw(DEVICE_STATUS, 4, 0); // wrong width: not a reset
            assertEquals(0, d.c(DEVICE_FEATURE + 1, 2), "misaligned");
            d.bus.write(d.bar + ISR_OFFSET, 1, 0xff);
            assertEquals(1, d.c(NUM_QUEUES, 2));
            assertNotEquals(0, d.status() & Virtio.STATUS_FEATURES_OK, "the odd-width status write changed nothing");
            assertEquals(fails + 6, blk.metrics().cfgFails.get(), "each refused access counted once");
        }
    }

    @Test
    void theNotifyIoeventfdsFollowTheBar() throws IOException {
        try (PciTestDriver d = new PciTestDriver(mem, loop, block())) {
            d.probe();
            assertEquals(List.of(), d.ioEvents, "nothing bound while the BAR does not decode");
            d.enableMemory();
            String at = Long.toHexString(d.bar + NOTIFY_OFFSET);
            assertEquals(List.of("+" + at + "/2"), d.ioEvents);
            d.cfgWrite(PciConfigSpace.COMMAND, 2, 0);
            long moved = d.bar + BAR_SIZE * 4;
            d.cfgWrite(PciConfigSpace.BAR0, 4, (int) moved);
            d.cfgWrite(PciConfigSpace.BAR0 + 4, 4, (int) (moved >>> 32));
            d.enableMemory();
            assertEquals(List.of("+" + at + "/2", "-" + at + "/2", "+" + Long.toHexString(moved + NOTIFY_OFFSET) + "/2"), d.ioEvents);
        }
    }

    @Test
    void thePciCfgWindowReachesTheBar() throws IOException {
        try (PciTestDriver d = new PciTestDriver(mem, loop, block())) {
            d.probe();
            int cap = d.pciCfg;
            d.cfgWrite(cap + CAP_BAR, 1, BAR_INDEX);
            d.cfgWrite(cap + CAP_LENGTH, 4, 2);
            d.cfgWrite(cap + CAP_OFFSET, 4, COMMON_CFG_OFFSET + NUM_QUEUES);
            assertEquals(1, d.cfg(cap + CFG_CAP_DATA, 2), "num_queues read through the window");
            d.cfgWrite(cap + CAP_LENGTH, 4, 1);
            d.cfgWrite(cap + CAP_OFFSET, 4, COMMON_CFG_OFFSET + DEVICE_STATUS);
            d.cfgWrite(cap + CFG_CAP_DATA, 1, Virtio.STATUS_ACKNOWLEDGE);
            d.enableMemory();
            assertEquals(Virtio.STATUS_ACKNOWLEDGE, d.status(), "device_status written through the window");
        }
    }

    @Test
    void statusZeroResetsTheVectorsAndTheQueues() throws IOException {
        TestRing ring = new TestRing(mem, 16, 0x10000);
        try (PciTestDriver d = readyDriver(block(), ring)) {
            d.reset();
            assertEquals(NO_VECTOR, d.c(MSIX_CONFIG, 2));
            d.cw(QUEUE_SELECT, 2, 0);
            assertEquals(NO_VECTOR, d.c(QUEUE_MSIX_VECTOR, 2));
            assertEquals(0, d.c(QUEUE_ENABLE, 2));
            assertEquals(0, d.c(QUEUE_DESC_LO, 4));
        }
    }

    @Test
    void aSnapshotCarriesTheFunctionAndTheDriverCarriesOn() throws Exception {
        TestRing ring = new TestRing(mem, 16, 0x10000);
        VirtioBlock blk = block();
        byte[] state;
        try (PciTestDriver d = readyDriver(blk, ring)) {
            assertEquals(VirtioBlock.S_OK, readSector(d, ring, 3));
            state = onLoop(() -> {
                dev.ember.snapshot.StateWriter w = new dev.ember.snapshot.StateWriter();
                d.function.saveState(w);
                return w.toByteArray();
            });
        }
        VirtioBlock again = new VirtioBlock(blk.driveId() + "b", blk.path(), false, BlockCacheType.UNSAFE, null, BlockIoEngine.SYNC);
        try (PciTestDriver d2 = new PciTestDriver(mem, loop, again)) {
            onLoop(() -> {
                dev.ember.snapshot.StateReader in = new dev.ember.snapshot.StateReader("virtio0", state);
                d2.function.restoreState(in);
                in.end();
                return null;
            });
            d2.probe();
            d2.root.restored();
            assertNotEquals(0, d2.status() & Virtio.STATUS_DRIVER_OK, "DRIVER_OK without renegotiation");
            assertEquals(1, d2.c(QUEUE_MSIX_VECTOR, 2));
            assertEquals(0, d2.c(MSIX_CONFIG, 2));
            assertEquals(PciTestDriver.MSI_ADDRESS, d2.routedAddress[1], "the MSI-X table came back and was routed");
            ring.setUsedEvent(1); // EVENT_IDX: interrupt me once used passes 1
            assertEquals(VirtioBlock.S_OK, readSector(d2, ring, 7));
            assertEquals(8, mem.getByte(DATA));
            TestDriver.await(() -> d2.signals.get(1) > 0, "the restored queue's vector");
        }
    }

    /**
     * A hostile driver: 50,000 random accesses of every width to the BAR and the function's
     * configuration space (BAR moves, MSI-X, the PCI_CFG window included) throw nothing into the
     * VMM; afterwards a proper driver resets the device and reads a sector through it.
     */
    @Test
    void randomGuestAccessesNeverThrowAndTheDeviceStillWorks() throws IOException {
        TestRing ring = new TestRing(mem, 16, 0x10000);
        java.util.Random rnd = new java.util.Random(17);
        int[] sizes = {1, 2, 4, 8};
        try (PciTestDriver d = readyDriver(block(), ring)) {
            long bar = d.bar;
            for (int i = 0; i < 50_000; i++) {
                int size = sizes[rnd.nextInt(4)];
                long value = rnd.nextLong();
                if (rnd.nextInt(8) == 0) {
                    int register = rnd.nextInt(0x1000);
                    if (rnd.nextBoolean()) {
                        d.cfgWrite(register, Math.min(size, 4), (int) value);
                    } else {
                        d.cfg(register, Math.min(size, 4));
                    }
                } else {
                    long offset = rnd.nextInt(4) == 0 ? rnd.nextInt((int) BAR_SIZE) : rnd.nextInt(0x100) + new long[] {
                        COMMON_CFG_OFFSET, ISR_OFFSET, DEVICE_CFG_OFFSET, NOTIFY_OFFSET, MSIX_TABLE_OFFSET, MSIX_PBA_OFFSET}[rnd.nextInt(6)];
                    if (rnd.nextBoolean()) {
                        d.bus.write(bar + offset, size, value);
                    } else {
                        d.bus.read(bar + offset, size);
                    }
                }
            }
            d.sync();
            // Put the BAR back where it was, decoding, and start over as a driver would.
            d.cfgWrite(PciConfigSpace.COMMAND, 2, 0);
            d.cfgWrite(PciConfigSpace.BAR0, 4, (int) bar);
            d.cfgWrite(PciConfigSpace.BAR0 + 4, 4, (int) (bar >>> 32));
            d.probe();
            d.enableMemory();
            d.enableMsix();
            d.negotiate();
            TestRing fresh = new TestRing(mem, 16, 0x40000);
            d.setupQueue(0, fresh, 1);
            d.driverOk();
            assertEquals(0, d.status() & Virtio.STATUS_DEVICE_NEEDS_RESET, "status 0x" + Integer.toHexString(d.status()));
            assertEquals(VirtioBlock.S_OK, readSector(d, fresh, 4));
            assertEquals(5, mem.getByte(DATA));
        }
    }

    /**
     * Hot paths allocate nothing: the register accesses a driver makes per request (common
     * configuration, notify, ISR, device configuration, the MSI-X table) on the calling vCPU thread,
     * and serving requests with MSI-X completions on the event loop.
     */
    @Test
    void registerAccessesAndMsixCompletionsAllocateNothing() throws Exception {
        com.sun.management.ThreadMXBean b = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(b.isThreadAllocatedMemorySupported() && b.isThreadAllocatedMemoryEnabled(),
                "this JVM does not account per-thread allocation");
        TestRing ring = new TestRing(mem, 16, 0x10000);
        try (PciTestDriver d = readyDriver(block(), ring)) {
            long loopThread = onLoop(() -> Thread.currentThread().getId());
            for (int i = 0; i < 3000; i++) { // warm-up: class loading, JIT
                readSector(d, ring, i % 64);
                registerRound(d);
            }
            long loopBefore = b.getThreadAllocatedBytes(loopThread);
            for (int i = 0; i < 2000; i++) {
                readSector(d, ring, i % 64);
            }
            long loopAllocated = b.getThreadAllocatedBytes(loopThread) - loopBefore;
            long self = Thread.currentThread().getId();
            long before = b.getThreadAllocatedBytes(self);
            for (int i = 0; i < 20_000; i++) {
                registerRound(d);
            }
            long vcpuAllocated = b.getThreadAllocatedBytes(self) - before;
            System.out.println("VirtioPciTransportTest: 2000 requests, " + loopAllocated + " bytes on the event loop; 20000 register rounds, "
                    + vcpuAllocated + " bytes on the accessing thread");
            assertTrue(loopAllocated < 16 * 1024, "2000 requests allocated " + loopAllocated + " bytes on the event loop");
            assertTrue(vcpuAllocated < 16 * 1024, "20000 register rounds allocated " + vcpuAllocated + " bytes");
        }
    }

    private static void registerRound(PciTestDriver d) {
        d.cw(QUEUE_SELECT, 2, 0);
        d.c(QUEUE_NOTIFY_OFF, 2);
        d.c(DEVICE_STATUS, 1);
        d.c(CONFIG_GENERATION, 1);
        d.c(QUEUE_DESC_LO, 4);
        d.bus.read(d.bar + ISR_OFFSET, 1);
        d.bus.read(d.bar + d.device, 8);
        d.bus.read(d.bar + MSIX_TABLE_OFFSET + 16, 4);
        d.bus.write(d.bar + NOTIFY_OFFSET + 4 * 9, 2, 9); // a queue that does not exist: dropped
    }

    private static <T> T onLoop(java.util.function.Supplier<T> task) {
        return TestDriver.onLoop(loop, task);
    }
}
