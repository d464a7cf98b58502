package dev.ember.devices.virtio;

import static dev.ember.devices.virtio.VirtioMmioDevice.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The virtio-mmio register window and status state machine, driven like a guest driver would. */
@ExtendWith(GuestMemoryAndLoop.class)
class VirtioMmioTransportTest {
    static GuestMemory mem;
    static EventLoop loop;
    @TempDir Path dir;
    TestDriver d;
    VirtioBlock blk;


    @BeforeEach
    void attach() throws IOException {
        Path img = dir.resolve("disk.img");
        Files.write(img, new byte[64 * 1024]);
        blk = new VirtioBlock("t" + System.nanoTime(), img, false, BlockCacheType.WRITEBACK, null);
        d = new TestDriver(mem, loop, blk);
    }

    @AfterEach
    void detach() {
        d.close();
    }

    @Test
    void identifiesAsModernBlockDevice() {
        assertEquals(0x74726976, d.r(REG_MAGIC));
        assertEquals(2, d.r(REG_VERSION));
        assertEquals(Virtio.DEVICE_ID_BLOCK, d.r(REG_DEVICE_ID));
        long f = d.deviceFeatures();
        assertNotEquals(0, f & Virtio.bit(Virtio.F_VERSION_1));
        assertNotEquals(0, f & Virtio.bit(Virtio.F_RING_EVENT_IDX));
        assertNotEquals(0, f & Virtio.bit(VirtioBlock.F_FLUSH));
        assertEquals(0, d.r(REG_STATUS));
        assertEquals(-1, d.r(REG_SHM_LEN_LOW), "no shared memory regions");
        assertEquals("virtio_mmio.device=4K@0xd0001000:5", d.transport.kernelCommandLineArgument());
    }

    /**
     * A driver that fails the device, resets it and fails it again in a loop (each round a few
     * register writes a guest can make millions of times a second) gets a bounded number of log
     * lines, and the next line admitted says how many were left out.
     */
    @Test
    void aDriverFailingTheDeviceInALoopCannotFloodTheLog() {
        try (dev.ember.testing.LogCapture log = dev.ember.testing.LogCapture.of(VirtioTransportCore.class,
                m -> m.contains("the driver gave up on the device"))) {
            for (int i = 0; i < 1000; i++) {
                d.reset();
                d.w(REG_STATUS, Virtio.STATUS_ACKNOWLEDGE);
                d.w(REG_STATUS, Virtio.STATUS_ACKNOWLEDGE | Virtio.STATUS_FAILED);
                assertNotEquals(0, d.r(REG_STATUS) & Virtio.STATUS_FAILED);
            }
            int lines = log.lines().size();
            assertTrue(lines >= 10 && lines < 100, "a burst of 10, then one per 10 s: " + lines + " lines for 1000 failures");
        }
    }

    @Test
    void queueNumMaxOnlyForExistingQueues() {
        d.negotiate(-1L);
        d.w(REG_QUEUE_SEL, 0);
        assertEquals(Virtio.MAX_QUEUE_SIZE, d.r(REG_QUEUE_NUM_MAX));
        d.w(REG_QUEUE_SEL, 1);
        assertEquals(0, d.r(REG_QUEUE_NUM_MAX));
    }

    @Test
    void refusesFeaturesWithoutVersion1() {
        assertFalse(d.offer(0));
        assertTrue(d.offer(Virtio.bit(Virtio.F_VERSION_1)), "the same handshake with VERSION_1 is accepted");
    }

    @Test
    void refusesFeaturesTheDeviceDoesNotOffer() {
        assertFalse(d.offer(Virtio.bit(Virtio.F_VERSION_1) | 1 << 7)); // VIRTIO_BLK_F_SCSI, never offered
    }

    @Test
    void statusBitsMustComeInOrder() {
        long fails = blk.metrics().cfgFails.get();
        d.w(REG_STATUS, Virtio.STATUS_DRIVER);
        assertEquals(0, d.r(REG_STATUS));
        d.w(REG_STATUS, Virtio.STATUS_ACKNOWLEDGE);
        d.w(REG_STATUS, Virtio.STATUS_ACKNOWLEDGE | Virtio.STATUS_DRIVER | Virtio.STATUS_DRIVER_OK);
        assertEquals(Virtio.STATUS_ACKNOWLEDGE, d.r(REG_STATUS), "DRIVER_OK before FEATURES_OK is refused");
        assertTrue(blk.metrics().cfgFails.get() > fails);
    }

    @Test
    void queueRegistersIgnoredOutsideSetupPhase() {
        d.w(REG_QUEUE_SEL, 0);
        d.w(REG_QUEUE_READY, 1);
        assertEquals(0, d.r(REG_QUEUE_READY), "before FEATURES_OK");
        d.negotiate(-1L);
        d.w(REG_QUEUE_READY, 1);
        assertEquals(1, d.r(REG_QUEUE_READY));
    }

    @Test
    void nonPowerOfTwoQueueNeedsReset() {
        d.negotiate(-1L);
        TestRing ring = new TestRing(mem, 16, 0x10000);
        d.setupQueue(0, 12, ring.desc, ring.avail, ring.used);
        long fails = blk.metrics().activateFails.get();
        d.driverOk();
        assertNotEquals(0, d.r(REG_STATUS) & Virtio.STATUS_DEVICE_NEEDS_RESET);
        assertEquals(Virtio.INT_CONFIG, d.ackInterrupts() & Virtio.INT_CONFIG);
        assertEquals(fails + 1, blk.metrics().activateFails.get());
        assertEquals(1, blk.metrics().errors(VirtqueueException.Reason.QUEUE_SIZE_NOT_POWER_OF_TWO).get());
    }

    @Test
    void ringOutsideMemoryNeedsReset() {
        d.negotiate(-1L);
        d.setupQueue(0, 16, 0xE000_0000L, 0x10000, 0x11000);
        d.driverOk();
        assertNotEquals(0, d.r(REG_STATUS) & Virtio.STATUS_DEVICE_NEEDS_RESET);
    }

    @Test
    void queueNotReadyNeedsReset() {
        d.negotiate(-1L);
        d.driverOk();
        assertNotEquals(0, d.r(REG_STATUS) & Virtio.STATUS_DEVICE_NEEDS_RESET);
    }

    @Test
    void resetReturnsEverythingToInitialState() {
        d.negotiate(-1L);
        TestRing ring = new TestRing(mem, 16, 0x10000);
        d.setupQueue(0, ring);
        d.driverOk();
        assertNotEquals(0, d.r(REG_STATUS) & Virtio.STATUS_DRIVER_OK);
        d.reset();
        assertEquals(0, d.r(REG_STATUS));
        assertEquals(0, d.r(REG_INTERRUPT_STATUS));
        d.w(REG_QUEUE_SEL, 0);
        assertEquals(0, d.r(REG_QUEUE_READY));
        // And the device works again after re-initialisation.
        d.negotiate(-1L);
        TestRing ring2 = new TestRing(mem, 8, 0x20000);
        d.setupQueue(0, ring2);
        d.driverOk();
        assertEquals(0, d.r(REG_STATUS) & Virtio.STATUS_DEVICE_NEEDS_RESET);
    }

    /**
     * A reset written on a vCPU thread never waits for the event loop (it used to wait up to 5 s
     * on a latch): with the loop busy, the Status write returns at once, Status reads non-zero
     * (DEVICE_NEEDS_RESET) and the queue is still armed; once the loop runs the reset, Status
     * reads 0 and the queue is dropped.
     */
    @Test
    void resetReturnsAtOnceAndStatusReadsNonZeroUntilTheLoopHasDroppedTheQueues() throws Exception {
        d.negotiate(-1L);
        d.setupQueue(0, new TestRing(mem, 16, 0x10000));
        d.driverOk();
        d.sync();
        assertTrue(queueReadyOnLoop(), "activated");
        CountDownLatch loopBusy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        loop.execute(() -> {
            loopBusy.countDown();
            awaitQuietly(release);
        });
        assertTrue(loopBusy.await(10, TimeUnit.SECONDS));
        try {
            Thread vcpu = new Thread(() -> d.w(REG_STATUS, 0), "vcpu0");
            vcpu.start();
            vcpu.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(vcpu.isAlive(), "the Status write waits for nothing");
            assertEquals(Virtio.STATUS_DEVICE_NEEDS_RESET, d.r(REG_STATUS), "reset in progress");
            assertEquals(0, d.r(REG_QUEUE_READY), "registers are reset at once");
        } finally {
            release.countDown();
        }
        TestDriver.await(() -> d.r(REG_STATUS) == 0, "Status to read 0");
        assertFalse(queueReadyOnLoop(), "the loop dropped the queue state before Status read 0");
    }

    private boolean queueReadyOnLoop() throws Exception {
        java.util.concurrent.CompletableFuture<Boolean> ready = new java.util.concurrent.CompletableFuture<>();
        loop.execute(() -> ready.complete(d.transport.core().queue(0).ready()));
        return ready.get(10, TimeUnit.SECONDS);
    }

    private static void awaitQuietly(CountDownLatch l) {
        try {
            l.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Loop-confined code called from another thread fails loudly under -ea instead of racing the loop. */
    @Test
    void loopConfinedMethodsRefuseOtherThreads() {
        d.negotiate(-1L);
        d.setupQueue(0, new TestRing(mem, 16, 0x10000));
        d.driverOk();
        d.sync();
        SplitQueue q = d.transport.core().queue(0);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> q.pop(new DescriptorChain(16)));
        assertTrue(e.getMessage().contains("SplitQueue.pop is confined to the event loop (thread test-event-loop)"),
                e.getMessage());
        assertThrows(IllegalStateException.class, () -> d.transport.core().notifyUsed(q));
        assertThrows(IllegalStateException.class, () -> blk.rateLimiter().update(null, null));
        // VirtioDeviceBase checks the lifecycle of every device model built on it.
        IllegalStateException reset = assertThrows(IllegalStateException.class, blk::reset);
        assertTrue(reset.getMessage().contains("block " + blk.driveId() + ": reset is confined to the event loop"), reset.getMessage());
        assertThrows(IllegalStateException.class, () -> blk.activate(d.transport.core()));
    }

    @Test
    void configSpaceCarriesCapacityAndIgnoresNarrowControlAccess() {
        assertEquals(128, d.bus.read(d.base + REG_CONFIG, 8), "64 KiB = 128 sectors");
        assertEquals(128, d.bus.read(d.base + REG_CONFIG, 4));
        assertEquals(VirtioBlock.SEG_MAX, d.bus.read(d.base + REG_CONFIG + VirtioBlock.CFG_SEG_MAX, 4));
        long fails = blk.metrics().cfgFails.get();
        assertEquals(0, d.bus.read(d.base + REG_MAGIC, 2), "control registers are 32-bit only");
        assertEquals(fails + 1, blk.metrics().cfgFails.get());
    }

    @Test
    void interruptAckClearsOnlyAcknowledgedBits() {
        d.negotiate(-1L);
        d.driverOk(); // fails: no queue -> config interrupt
        assertEquals(Virtio.INT_CONFIG, d.r(REG_INTERRUPT_STATUS));
        assertTrue(d.interrupts() > 0, "the irq line was triggered");
        d.w(REG_INTERRUPT_ACK, Virtio.INT_USED_RING);
        assertEquals(Virtio.INT_CONFIG, d.r(REG_INTERRUPT_STATUS));
        d.w(REG_INTERRUPT_ACK, Virtio.INT_CONFIG);
        assertEquals(0, d.r(REG_INTERRUPT_STATUS));
    }
}
