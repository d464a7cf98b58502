package dev.ember.devices.virtio;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.devices.virtio.pmem.PmemBackingFile;
import dev.ember.devices.virtio.pmem.PmemException;
import dev.ember.devices.virtio.pmem.VirtioPmem;
import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;
import dev.ember.metrics.Metrics;
import dev.ember.snapshot.SnapshotFormatException;
import dev.ember.sys.Native;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import dev.ember.sys.NativeMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * virtio-pmem on real guest memory behind a real transport, with a real backing file mapped
 * MAP_SHARED: the config space, FLUSH as fsync (the page cache's dirty count for the file, read
 * with cachestat(2), drops to zero and the bytes are in the file), hostile chains (never a hang,
 * never a crash: used length 0 or DEVICE_NEEDS_RESET), read-only files, the 2 MiB padding, and
 * a snapshot round trip of the transport and the device's region.
 */
@ExtendWith(GuestMemoryAndLoop.class)
class VirtioPmemTest {
    static GuestMemory mem;
    static EventLoop loop;
    static final long REQ = 0x400000;
    static final long RESP = 0x401000;
    static final long START = 0x1_0000_0000L;
    static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    /** A device over {@code file} with its queue (16 entries at 0x10000) set up and DRIVER_OK. */
    static final class Pmem implements AutoCloseable {
        final PmemBackingFile file;
        final VirtioPmem dev;
        final TestDriver d;
        final TestRing ring;
        final AtomicInteger released = new AtomicInteger();

        Pmem(Path path, boolean readOnly) throws PmemException {
            this(path, readOnly, null);
        }

        Pmem(Path path, boolean readOnly, dev.ember.devices.ratelimit.RateLimiter limiter) throws PmemException {
            file = PmemBackingFile.open(path, readOnly);
            dev = new VirtioPmem("pm0", file, START, released::incrementAndGet, limiter);
            ring = new TestRing(mem, 16, 0x10000);
            d = TestDriver.ready(mem, loop, dev, ring);
        }

        boolean needsReset() {
            return (d.r(VirtioMmioDevice.REG_STATUS) & Virtio.STATUS_DEVICE_NEEDS_RESET) != 0;
        }

        /** A request {type} at {@code req} chained to a 4-byte status at {@code resp}, in descriptors 2i and 2i+1. */
        void post(int i, long req, long resp, int type) {
            mem.putInt(req, type);
            mem.putInt(resp, 0x69);
            ring.setDesc(2 * i, req, 4, Virtio.DESC_F_NEXT, 2 * i + 1);
            ring.setDesc(2 * i + 1, resp, 4, Virtio.DESC_F_WRITE, 0);
            ring.publish(2 * i);
        }

        /** Kicks and waits until {@code n} more requests completed (or the device needs a reset). */
        void kickAndAwait(int before, int n) {
            d.kick(0);
            TestDriver.await(() -> ring.usedIdx() == ((before + n) & 0xFFFF) || needsReset(), n + " pmem request(s) to complete");
        }

        int flush() {
            int before = ring.usedIdx();
            post(0, REQ, RESP, VirtioPmem.REQ_TYPE_FLUSH);
            kickAndAwait(before, 1);
            assertEquals(4, ring.usedLen(before), "the status was written");
            return mem.getInt(RESP);
        }

        @Override
        public void close() {
            d.close(); // closes the device too
        }
    }

    static long counter(String name) {
        return Metrics.group("pmem").counter(name).get();
    }

    private Path file(String name, long size, byte fill) throws Exception {
        Path p = dir.resolve(name);
        byte[] b = new byte[(int) size];
        java.util.Arrays.fill(b, fill);
        Files.write(p, b);
        return p;
    }

    private static NativeMemory at(long host, long size) {
        return NativeMemory.view(host, size);
    }

    /** cachestat(2) of the whole file: {nr_cache, nr_dirty, nr_writeback}, or null where the host kernel has none (before 6.5). */
    private static long[] cachestat(Path path) throws Exception {
        final long sysCachestat = 451; // x86_64; <asm/unistd_64.h> of this build host (Linux 6.1 headers) predates it
        int fd = Native.LIBC.open(path.toString(), dev.ember.sys.LibC.O_RDONLY, 0);
        assertTrue(fd >= 0);
        try {
            NativeMemory range = Native.allocate(16);   // struct cachestat_range { __u64 off, len; }: 0, 0 = to the end
            NativeMemory stat = Native.allocate(40);    // struct cachestat { __u64 nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted; }
            long rc = Native.LIBC.syscall(sysCachestat, fd, range.address(), stat.address(), 0);
            if (rc < 0) {
                return null;
            }
            return new long[] {stat.getLong(0), stat.getLong(8), stat.getLong(16)};
        } finally {
            Native.LIBC.close(fd);
        }
    }

    @Test
    void configSpaceHoldsTheRegionRoundedUpTo2MiB() throws Exception {
        try (Pmem p = new Pmem(file("odd.img", 3 * MIB + 100, (byte) 1), false)) {
            assertEquals(VirtioPmem.DEVICE_ID, p.d.r(VirtioMmioDevice.REG_DEVICE_ID));
            long base = p.d.base + VirtioMmioDevice.REG_CONFIG;
            assertEquals(START, p.d.bus.read(base, 8));
            assertEquals(4 * MIB, p.d.bus.read(base + 8, 8));
            assertEquals(START >>> 32, p.d.bus.read(base + 4, 4), "the high half of start on its own");
            assertEquals(4 * MIB, p.d.bus.read(base + 8, 4));
            long cfgFails = counter("cfg_fails");
            p.d.bus.write(base, 4, 0x1234);
            assertEquals(START, p.d.bus.read(base, 8), "the config space is read-only");
            assertEquals(0, p.d.bus.read(base + 16, 4), "nothing past the 16 bytes");
            assertEquals(2, counter("cfg_fails") - cfgFails, "the write and the read past the end are counted");
            assertEquals(4 * MIB, p.dev.size());
        }
    }

    @Test
    void flushPutsTheGuestsStoresOnTheFile() throws Exception {
        Path path = file("data.img", 2 * MIB, (byte) 0);
        try (Pmem p = new Pmem(path, false)) {
            assertEquals(2 * MIB, p.file.mappedSize(), "a 2 MiB file needs no padding");
            byte[] pattern = "stored by the guest through its mapping".getBytes();
            NativeMemory region = at(p.file.hostAddress(), p.file.mappedSize());
            region.put(MIB + 4096, pattern, 0, pattern.length);
            region.putByte(0, (byte) 0x5a);
            long[] before = cachestat(path);
            assumeTrue(before != null, "cachestat(2) needs Linux 6.5; the bytes are still checked below");
            assertTrue(before[1] >= 2, "the two stored pages are dirty in the file's page cache: " + before[1]);

            p.d.sync(); // activation's first pass over the queue has run
            long events = counter("queue_event_count");
            long fails = counter("event_fails");
            assertEquals(0, p.flush(), "FLUSH answers 0");
            long[] after = cachestat(path);
            assertEquals(0, after[1], "no dirty page of the file is left after FLUSH");
            assertEquals(0, after[2], "and none is still under writeback");
            byte[] onFile = Files.readAllBytes(path);
            assertArrayEquals(pattern, java.util.Arrays.copyOfRange(onFile, (int) MIB + 4096, (int) MIB + 4096 + pattern.length));
            assertEquals(0x5a, onFile[0]);
            assertEquals(1, counter("queue_event_count") - events);
            assertEquals(0, counter("event_fails") - fails);
            assertEquals(1, Metrics.group("pmem_pm0").counter("queue_event_count").get() > 0 ? 1 : 0, "the device's own group counts too");
            assertFalse(p.needsReset());
        }
    }

    @Test
    void theFilesBytesAreWhatTheMappingShowsAndThePaddingIsNotWritten() throws Exception {
        Path path = file("small.img", 5000, (byte) 0x42);
        try (Pmem p = new Pmem(path, false)) {
            assertEquals(2 * MIB, p.file.mappedSize());
            NativeMemory region = at(p.file.hostAddress(), p.file.mappedSize());
            assertEquals(0x42, region.getByte(4999), "the file's last byte");
            assertEquals(0, region.getByte(MIB), "zeroes past the end of the file");
            region.putByte(MIB, (byte) 7); // the padding takes stores...
            assertEquals(0, p.flush());
            assertEquals(5000, Files.size(path), "...which never grow the file");
        }
    }

    @Test
    void aBurstOfFlushesCompletesEachWithSuccess() throws Exception {
        try (Pmem p = new Pmem(file("burst.img", 2 * MIB, (byte) 0), false)) {
            for (int i = 0; i < 8; i++) {
                p.post(i, REQ + 64L * i, RESP + 64L * i, VirtioPmem.REQ_TYPE_FLUSH);
            }
            p.kickAndAwait(0, 8);
            for (int i = 0; i < 8; i++) {
                assertEquals(4, p.ring.usedLen(i));
                assertEquals(0, mem.getInt(RESP + 64L * i), "request " + i);
            }
        }
    }

    @Test
    void requestsOfAnotherShapeAreAnsweredEmptyAndTheDeviceGoesOn() throws Exception {
        try (Pmem p = new Pmem(file("hostile.img", 2 * MIB, (byte) 0), false)) {
            long fails = counter("event_fails");
            int used = 0;
            // 1. an unknown request type
            p.post(0, REQ, RESP, 7);
            p.kickAndAwait(used++, 1);
            // 2. a head with no status descriptor
            mem.putInt(REQ, 0);
            p.ring.setDesc(0, REQ, 4, 0, 0);
            p.ring.publish(0);
            p.kickAndAwait(used++, 1);
            // 3. a device-writable head
            p.ring.setDesc(0, REQ, 4, Virtio.DESC_F_WRITE | Virtio.DESC_F_NEXT, 1);
            p.ring.setDesc(1, RESP, 4, Virtio.DESC_F_WRITE, 0);
            p.ring.publish(0);
            p.kickAndAwait(used++, 1);
            // 4. a device-readable status
            p.ring.setDesc(0, REQ, 4, Virtio.DESC_F_NEXT, 1);
            p.ring.setDesc(1, RESP, 4, Virtio.DESC_F_NEXT, 2);
            p.ring.setDesc(2, RESP + 64, 4, Virtio.DESC_F_WRITE, 0);
            p.ring.publish(0);
            p.kickAndAwait(used++, 1);
            // 5. lengths other than 4
            p.ring.setDesc(0, REQ, 0x69, Virtio.DESC_F_NEXT, 1);
            p.ring.setDesc(1, RESP, 4, Virtio.DESC_F_WRITE, 0);
            p.ring.publish(0);
            p.kickAndAwait(used++, 1);
            p.ring.setDesc(0, REQ, 4, Virtio.DESC_F_NEXT, 1);
            p.ring.setDesc(1, RESP, 2, Virtio.DESC_F_WRITE, 0);
            p.ring.publish(0);
            p.kickAndAwait(used++, 1);
            for (int i = 0; i < used; i++) {
                assertEquals(0, p.ring.usedLen(i), "request " + (i + 1) + " is answered with nothing written");
            }
            assertEquals(0x69, mem.getInt(RESP), "no status was written");
            assertEquals(used, counter("event_fails") - fails);
            assertFalse(p.needsReset(), "a request of the wrong shape is not a broken ring");
            assertEquals(0, p.flush(), "a good FLUSH after them is served");
        }
    }

    @Test
    void aChainOutsideGuestMemoryOrCyclicNeedsResetAndAFreshDriverIsServed() throws Exception {
        Path path = file("outside.img", 2 * MIB, (byte) 0);
        try (Pmem p = new Pmem(path, false)) {
            long errs = counter("device_errors_buffer_address");
            p.ring.setDesc(0, GuestMemoryAndLoop.MEMORY_BYTES - 2, 4, Virtio.DESC_F_NEXT, 1);
            p.ring.setDesc(1, RESP, 4, Virtio.DESC_F_WRITE, 0);
            p.ring.publish(0);
            p.d.kick(0);
            TestDriver.await(p::needsReset, "DEVICE_NEEDS_RESET");
            assertEquals(1, counter("device_errors_buffer_address") - errs);
            assertEquals(0, p.ring.usedIdx(), "nothing completed");
        }
        try (Pmem p = new Pmem(path, false)) {
            p.ring.setDesc(0, REQ, 4, Virtio.DESC_F_NEXT, 0); // a descriptor that points at itself
            p.ring.publish(0);
            p.d.kick(0);
            TestDriver.await(p::needsReset, "DEVICE_NEEDS_RESET for a cyclic chain");
        }
        try (Pmem again = new Pmem(path, false)) {
            assertEquals(0, again.flush(), "a fresh driver is served");
        }
    }

    @Test
    void aReadOnlyFileIsMappedReadOnlyAndStillFlushes() throws Exception {
        Path path = file("ro.img", 2 * MIB, (byte) 3);
        path.toFile().setWritable(false);
        try (Pmem p = new Pmem(path, true)) {
            assertTrue(p.file.readOnly());
            assertEquals(3, at(p.file.hostAddress(), p.file.mappedSize()).getByte(12345));
            assertEquals(0, p.flush());
        }
    }

    @Test
    void emptyAndMissingFilesAreRefusedNamingTheFile() throws Exception {
        Path empty = dir.resolve("empty.img");
        Files.createFile(empty);
        PmemException e = assertThrows(PmemException.class, () -> PmemBackingFile.open(empty, false));
        assertEquals(PmemException.Reason.EMPTY, e.reason());
        assertTrue(e.getMessage().contains("Error backing file size is 0") && e.getMessage().contains(empty.toString()), e.getMessage());
        Path missing = dir.resolve("missing.img");
        e = assertThrows(PmemException.class, () -> PmemBackingFile.open(missing, true));
        assertEquals(PmemException.Reason.OPEN, e.reason());
        assertTrue(e.getMessage().contains("Error accessing backing file") && e.getMessage().contains("No such file"), e.getMessage());
    }

    @Test
    void closeTakesTheRegionOutOfTheGuestBeforeUnmapping() throws Exception {
        Pmem p = new Pmem(file("close.img", 2 * MIB, (byte) 0), false);
        p.close();
        assertEquals(1, p.released.get());
    }

    @Test
    void theRegionAndTheQueueSurviveASnapshot() throws Exception {
        Path path = file("snap.img", 2 * MIB, (byte) 0);
        Pmem p = new Pmem(path, false);
        assertEquals(0, p.flush());
        byte[] state = p.d.saveState();
        p.close();

        PmemBackingFile again = PmemBackingFile.open(path, false);
        VirtioPmem restored = new VirtioPmem("pm0", again, START, () -> {}, null);
        try (TestDriver d2 = new TestDriver(mem, loop, restored)) {
            d2.restoreState(state);
            p.post(0, REQ, RESP, VirtioPmem.REQ_TYPE_FLUSH);
            d2.kick(0);
            TestDriver.await(() -> p.ring.usedIdx() == 2, "a FLUSH on the restored device");
            assertEquals(0, mem.getInt(RESP));
        } finally {
            restored.close();
        }

        Files.write(path, new byte[(int) (4 * MIB)]); // the file grew: the guest's region would not match
        PmemBackingFile grown = PmemBackingFile.open(path, false);
        VirtioPmem mismatched = new VirtioPmem("pm0", grown, START, () -> {}, null);
        try (TestDriver d3 = new TestDriver(mem, loop, mismatched)) {
            AssertionError e = assertThrows(AssertionError.class, () -> d3.restoreState(state));
            assertTrue(e.getCause() instanceof java.util.concurrent.ExecutionException
                    && e.getCause().getCause() instanceof SnapshotFormatException, String.valueOf(e.getCause()));
            assertTrue(e.getMessage().contains("give the backing files the sizes they had"), e.getMessage());
        } finally {
            mismatched.close();
        }
    }

    /** One fsync is one operation: with a bucket of one and a 100 s refill the second flush waits until the limit is lifted. */
    @Test
    void theRateLimiterBoundsTheFlushes() throws Exception {
        dev.ember.devices.ratelimit.RateLimiter limiter = new dev.ember.devices.ratelimit.RateLimiter(null,
                new dev.ember.devices.ratelimit.TokenBucketConfig(1, 0, 100_000));
        try (Pmem p = new Pmem(file("limited.img", 2 * MIB, (byte) 0), false, limiter)) {
            assertEquals(0, p.flush(), "the bucket's one operation");
            long throttled = counter("rate_limiter_throttled_events");
            p.post(0, REQ, RESP, VirtioPmem.REQ_TYPE_FLUSH);
            p.d.kick(0);
            p.d.sync();
            assertEquals(1, p.ring.usedIdx(), "the second flush waits for the bucket");
            assertTrue(limiter.blocked());
            assertEquals(1, counter("rate_limiter_throttled_events") - throttled);
            loop.execute(() -> limiter.update(null, new dev.ember.devices.ratelimit.TokenBucketConfig(0, 0, 0)));
            TestDriver.await(() -> p.ring.usedIdx() == 2, "the flush once the limit is lifted");
            assertEquals(0, mem.getInt(RESP));
        }
    }
}
