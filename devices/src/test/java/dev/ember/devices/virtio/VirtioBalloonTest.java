package dev.ember.devices.virtio;

import static dev.ember.devices.virtio.balloon.VirtioBalloon.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.ember.devices.virtio.balloon.BalloonException;
import dev.ember.devices.virtio.balloon.BalloonStatistics;
import dev.ember.devices.virtio.balloon.VirtioBalloon;
import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;
import dev.ember.metrics.Metrics;
import dev.ember.sys.Native;
import dev.ember.sys.NativeMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * virtio-balloon on real guest memory behind a real transport. What the host gets back is
 * measured, not assumed: {@code mincore(2)} on the guest mapping counts the resident pages
 * before and after an inflate or a free-page report.
 */
@ExtendWith(GuestMemoryAndLoop.class)
class VirtioBalloonTest {
    static GuestMemory mem;
    static EventLoop loop;
    static final long PFNS = 0x200000;     // the driver's page-number arrays
    static final long STATS_BUF = 0x210000;
    static final long CMD_BUF = 0x220000;
    static final long VICTIM = 0x600000;   // 1 MiB of guest pages to give back
    static final long RING_BASE = 0x10000;

    /** A driven balloon: queues 0.. set up at RING_BASE + i * 16 KiB, DRIVER_OK. */
    static final class Balloon implements AutoCloseable {
        final VirtioBalloon dev;
        final TestDriver d;
        final TestRing[] rings;

        Balloon(VirtioBalloon dev, long featureMask) {
            this.dev = dev;
            d = new TestDriver(mem, loop, dev);
            long f = d.negotiate(featureMask);
            int n = 2 + Long.bitCount(f & (Virtio.bit(F_STATS_VQ) | Virtio.bit(F_FREE_PAGE_HINT) | Virtio.bit(F_PAGE_REPORTING)));
            rings = new TestRing[n];
            for (int i = 0; i < n; i++) {
                rings[i] = new TestRing(mem, 16, RING_BASE + i * 0x4000L);
                d.setupQueue(i, rings[i]);
            }
            d.driverOk();
            d.sync();
        }

        long config(int off) {
            return d.r(VirtioMmioDevice.REG_CONFIG + off) & 0xFFFF_FFFFL;
        }

        /** Publishes a one-descriptor chain on queue {@code q} and kicks; waits for it to be used. */
        void send(int q, long addr, long len, int flags) {
            TestRing r = rings[q];
            int before = r.usedIdx();
            post(q, addr, len, flags);
            d.kick(q);
            TestDriver.await(() -> r.usedIdx() != before, "queue " + q + " to use the buffer");
        }

        void post(int q, long addr, long len, int flags) {
            TestRing r = rings[q];
            int slot = r.availIdx % r.size;
            r.setDesc(slot, addr, len, flags, 0);
            r.publish(slot);
        }

        void inflate(long gpa, int pages) {
            for (int i = 0; i < pages; i++) {
                mem.putInt(PFNS + 4L * i, (int) ((gpa >>> PAGE_SHIFT) + i));
            }
            send(0, PFNS, 4L * pages, 0);
        }

        boolean needsReset() {
            return (d.r(VirtioMmioDevice.REG_STATUS) & Virtio.STATUS_DEVICE_NEEDS_RESET) != 0;
        }

        @Override
        public void close() {
            d.close();
        }
    }

    /** Resident pages of {@code [gpa, gpa+len)} in this process, by mincore(2). */
    static int resident(long gpa, long len) {
        int pages = (int) (len >>> PAGE_SHIFT);
        NativeMemory vec = Native.allocate(pages);
        long host = mem.hostAddress(gpa, len);
        assertEquals(0, Native.LIBC.mincore(host, len, vec.address()), "mincore");
        int n = 0;
        for (int i = 0; i < pages; i++) {
            n += vec.getByte(i) & 1;
        }
        return n;
    }

    static long counter(String name) {
        return Metrics.group("balloon").counter(name).get();
    }

    @Test
    void inflatedPagesLeaveTheProcessAndReadAsZero() {
        try (Balloon b = new Balloon(new VirtioBalloon(0, false, 0, false, false), -1L)) {
            mem.fill(VICTIM, 1 << 20, (byte) 0x5a);
            assertEquals(256, resident(VICTIM, 1 << 20), "1 MiB of guest pages written");
            long inflates = counter("inflate_count");
            b.inflate(VICTIM, 256);
            assertEquals(0, resident(VICTIM, 1 << 20), "the inflated MiB is no longer resident");
            assertEquals(0, mem.getByte(VICTIM + 12345), "a page given back reads as zero when touched again");
            assertEquals(1, counter("inflate_count") - inflates);
            // Deflate: acknowledged; the guest reuses the pages on its own.
            b.send(1, PFNS, 4, 0);
            assertFalse(b.needsReset());
        }
    }

    @Test
    void scatteredPageNumbersAreGivenBackOneByOne() {
        try (Balloon b = new Balloon(new VirtioBalloon(0, false, 0, false, false), -1L)) {
            mem.fill(VICTIM, 64 * 4096, (byte) 1);
            for (int i = 0; i < 32; i++) {
                mem.putInt(PFNS + 4L * i, (int) ((VICTIM >>> PAGE_SHIFT) + 2 * i)); // every other page
            }
            b.send(0, PFNS, 128, 0);
            assertEquals(32, resident(VICTIM, 64 * 4096), "the 32 odd pages stay, the 32 even ones are gone");
            assertEquals(1, mem.getByte(VICTIM + 4096));
            assertEquals(0, mem.getByte(VICTIM));
        }
    }

    @Test
    void hostileInflateChainsAreSkippedAndTheDeviceGoesOn() {
        try (Balloon b = new Balloon(new VirtioBalloon(0, false, 0, false, false), -1L)) {
            long fails = counter("event_fails");
            mem.putInt(PFNS, (int) (GuestMemoryAndLoop.MEMORY_BYTES >>> PAGE_SHIFT) + 5); // beyond guest RAM
            b.send(0, PFNS, 4, 0);
            b.send(0, PFNS, 6, 0);                              // not a whole number of u32s
            b.send(0, PFNS, 4L * (MAX_PFNS_PER_CHAIN + 1), 0);  // over the bound
            b.send(0, PFNS, 8, Virtio.DESC_F_WRITE);            // wrong direction
            assertEquals(4, counter("event_fails") - fails);
            assertFalse(b.needsReset());
            mem.fill(VICTIM, 4096, (byte) 3);
            b.inflate(VICTIM, 1);
            assertEquals(0, resident(VICTIM, 4096), "a good inflate still works");
        }
    }

    @Test
    void targetChangesRaiseTheConfigInterruptAndActualIsTheDriversToWrite() {
        VirtioBalloon dev = new VirtioBalloon(16, true, 0, false, false);
        BalloonException early = assertThrows(BalloonException.class, () -> dev.setTarget(4));
        assertEquals(BalloonException.Reason.NOT_ACTIVATED, early.reason());
        try (Balloon b = new Balloon(dev, -1L)) {
            assertTrue((b.d.deviceFeatures() & Virtio.bit(F_DEFLATE_ON_OOM)) != 0, "deflate_on_oom offered");
            assertEquals(16 * 256, b.config(CFG_NUM_PAGES));
            b.d.ackInterrupts();
            dev.setTarget(64);
            TestDriver.await(() -> (b.d.r(VirtioMmioDevice.REG_INTERRUPT_STATUS) & Virtio.INT_CONFIG) != 0, "the config interrupt");
            assertEquals(64 * 256, b.config(CFG_NUM_PAGES));
            b.d.w(VirtioMmioDevice.REG_CONFIG + CFG_ACTUAL, 1000);
            assertEquals(1000, dev.actualPages());
            assertEquals(1000, b.config(CFG_ACTUAL));
            assertThrows(BalloonException.class, () -> dev.setTarget(1L << 30), "more pages than 32 bits hold");
        }
    }

    private static void putStat(long at, int tag, long value) {
        mem.putShort(at, (short) tag);
        mem.putLong(at + 2, value);
    }

    @Test
    void statisticsArriveAndTheTimerAsksForFreshOnes() {
        VirtioBalloon dev = new VirtioBalloon(0, false, 1, false, false);
        try (Balloon b = new Balloon(dev, -1L)) {
            assertEquals(3, b.rings.length, "inflate, deflate, stats");
            putStat(STATS_BUF, BalloonStatistics.MEMFREE, 123 << 20);
            putStat(STATS_BUF + 10, BalloonStatistics.MEMTOT, 456 << 20);
            putStat(STATS_BUF + 20, 99, 7); // a tag this device does not know: skipped
            b.post(2, STATS_BUF, 30, 0);
            b.d.kick(2);
            TestDriver.await(() -> dev.statistics().updates() == 1, "the first statistics");
            BalloonStatistics.Snapshot s = dev.statistics();
            assertEquals(123L << 20, s.value(BalloonStatistics.MEMFREE));
            assertEquals(456L << 20, s.value(BalloonStatistics.MEMTOT));
            assertNull(s.value(BalloonStatistics.SWAP_IN), "never sent");
            assertEquals(0, b.rings[2].usedIdx(), "the device holds the buffer");
            TestDriver.await(() -> b.rings[2].usedIdx() == 1, "the timer to hand the buffer back");
            putStat(STATS_BUF, BalloonStatistics.MEMFREE, 100 << 20);
            b.post(2, STATS_BUF, 10, 0);
            b.d.kick(2);
            TestDriver.await(() -> dev.statistics().updates() == 2, "the second statistics");
            assertEquals(100L << 20, dev.statistics().value(BalloonStatistics.MEMFREE));
            assertEquals(456L << 20, dev.statistics().value(BalloonStatistics.MEMTOT), "a tag not sent again keeps its value");
        }
        VirtioBalloon off = new VirtioBalloon(0, false, 0, false, false);
        assertEquals(BalloonException.Reason.STATISTICS_DISABLED, assertThrows(BalloonException.class, off::statistics).reason());
        assertThrows(BalloonException.class, () -> off.setStatsInterval(5), "statistics cannot be switched on after boot");
    }

    @Test
    void reportedFreeRangesAreGivenBackAndQueuesAreNumberedAsNegotiated() {
        // Statistics offered but not accepted by this driver: reporting is queue 2.
        VirtioBalloon dev = new VirtioBalloon(0, false, 5, false, true);
        try (Balloon b = new Balloon(dev, ~Virtio.bit(F_STATS_VQ))) {
            assertEquals(3, b.rings.length);
            mem.fill(VICTIM, 1 << 20, (byte) 9);
            long freed = counter("free_page_report_freed");
            b.send(2, VICTIM, 1 << 20, Virtio.DESC_F_WRITE);
            assertEquals(0, resident(VICTIM, 1 << 20), "the reported MiB is no longer resident");
            assertEquals(1 << 20, counter("free_page_report_freed") - freed);
        }
    }

    @Test
    void hintingRunDiscardsHintedBlocksAndStopIsAcknowledged() {
        VirtioBalloon dev = new VirtioBalloon(0, false, 0, true, false);
        try (Balloon b = new Balloon(dev, -1L)) {
            assertEquals(3, b.rings.length, "inflate, deflate, hinting");
            assertEquals(CMD_ID_STOP, b.config(CFG_FREE_PAGE_HINT_CMD_ID));
            b.d.ackInterrupts();
            dev.startHinting(true);
            TestDriver.await(() -> b.config(CFG_FREE_PAGE_HINT_CMD_ID) >= 2, "a hinting command id");
            long id = b.config(CFG_FREE_PAGE_HINT_CMD_ID);
            assertTrue((b.d.r(VirtioMmioDevice.REG_INTERRUPT_STATUS) & Virtio.INT_CONFIG) != 0);
            // A block hinted before the guest acknowledged the run is kept.
            mem.fill(VICTIM, 8192, (byte) 4);
            b.send(2, VICTIM, 4096, Virtio.DESC_F_WRITE);
            assertEquals(2, resident(VICTIM, 8192));
            mem.putInt(CMD_BUF, (int) id);
            b.send(2, CMD_BUF, 4, 0);
            assertArrayEquals(new long[] {id, id}, dev.hintingStatus());
            b.send(2, VICTIM, 8192, Virtio.DESC_F_WRITE);
            assertEquals(0, resident(VICTIM, 8192), "hinted during the run: given back");
            mem.putInt(CMD_BUF, CMD_ID_STOP);
            b.send(2, CMD_BUF, 4, 0);
            assertEquals(CMD_ID_DONE, b.config(CFG_FREE_PAGE_HINT_CMD_ID), "acknowledge_on_stop answers the guest's STOP with DONE");
            assertArrayEquals(new long[] {CMD_ID_DONE, CMD_ID_STOP}, dev.hintingStatus());
            dev.startHinting(false);
            TestDriver.await(() -> b.config(CFG_FREE_PAGE_HINT_CMD_ID) == id + 1, "the next run's id");
            dev.stopHinting();
            TestDriver.await(() -> b.config(CFG_FREE_PAGE_HINT_CMD_ID) == CMD_ID_DONE, "stop");
        }
        VirtioBalloon off = new VirtioBalloon(0, false, 0, false, false);
        assertEquals(BalloonException.Reason.HINTING_DISABLED, assertThrows(BalloonException.class, () -> off.startHinting(true)).reason());
    }

    @Test
    void snapshotKeepsTargetStatisticsAndTheHeldStatisticsBuffer() throws Exception {
        VirtioBalloon first = new VirtioBalloon(8, false, 3600, false, false);
        Balloon b = new Balloon(first, -1L);
        first.setTarget(32);
        b.d.w(VirtioMmioDevice.REG_CONFIG + CFG_ACTUAL, 77);
        putStat(STATS_BUF, BalloonStatistics.AVAIL, 999);
        b.post(2, STATS_BUF, 10, 0);
        b.d.kick(2);
        TestDriver.await(() -> first.statistics().updates() == 1, "statistics");
        b.d.sync();
        byte[] state = b.d.saveState();
        b.close();

        // Restored with a 1 s interval as the recorded configuration would carry after a PATCH.
        VirtioBalloon second = new VirtioBalloon(8, false, 1, false, false);
        try (TestDriver d2 = new TestDriver(mem, loop, second)) {
            d2.restoreState(state);
            assertEquals(32 * 256, d2.r(VirtioMmioDevice.REG_CONFIG + CFG_NUM_PAGES));
            assertEquals(77, second.actualPages());
            assertEquals(999L, second.statistics().value(BalloonStatistics.AVAIL));
            assertTrue(second.activated());
            second.setStatsInterval(1);
            TestDriver.await(() -> b.rings[2].usedIdx() == 1, "the restored device to hand back the held statistics buffer");
        }
    }
}
