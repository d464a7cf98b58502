package dev.ember.devices.virtio;

import static dev.ember.devices.virtio.BlockHarness.*;
import static dev.ember.devices.virtio.VirtioBlock.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.ember.devices.ratelimit.RateLimiter;
import dev.ember.devices.ratelimit.TokenBucketConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every {@link VirtioBlockTest} again with {@code io_engine: Async} (io_uring), plus what only the
 * Async engine does: many requests in flight, FLUSH after the writes before it, draining.
 */
class VirtioBlockAsyncTest extends VirtioBlockTest {
    static final int BATCH = 16;

    @Override
    BlockIoEngine engine() {
        return BlockIoEngine.ASYNC;
    }

    @Test
    void aBatchOfReadsIsServedFromTheFileWithEveryHeadReturnedOnce() throws Exception {
        Path img = image(SECTORS);
        VirtioBlock blk = block(uniqueId("batch"), img, false, BlockCacheType.WRITEBACK);
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L, 64)) {
            assertEquals(BlockIoEngine.ASYNC, blk.ioEngine());
            for (int i = 0; i < BATCH; i++) {
                h.postNth(i, T_IN, 8L * i, 4096, true); // sectors 8i..8i+7 hold 8i+1..8i+8
            }
            h.d.kick(0);
            TestDriver.await(() -> h.ring.usedIdx() == BATCH, "all reads");
            Set<Integer> heads = new HashSet<>();
            for (int k = 0; k < BATCH; k++) {
                heads.add(h.ring.usedId(k));
                assertEquals(4097, h.ring.usedLen(k));
            }
            assertEquals(BATCH, heads.size(), "each head returned once");
            for (int i = 0; i < BATCH; i++) {
                assertEquals(S_OK, mem.getByte(STATUS + i));
                for (int s = 0; s < 8; s++) {
                    assertEquals((byte) (8 * i + s + 1), mem.getByte(DATA + 4096L * i + 512L * s + 100), "request " + i + " sector " + s);
                }
            }
            assertEquals(BATCH, blk.metrics().counter("read_count").get());
            assertEquals(BATCH * 4096L, blk.metrics().counter("read_bytes").get());
            assertEquals(0, blk.inFlight());
        }
    }

    @Test
    void mibRequestsGoToTheKernelsWorkersAndLandIntact() throws Exception {
        int n = 8, len = 1 << 20, sectorsPer = len / 512; // the bench's shape: 8 x 1 MiB, offloaded (IOSQE_ASYNC)
        Path img = image(n * sectorsPer);
        VirtioBlock blk = block(uniqueId("mib"), img, false, BlockCacheType.WRITEBACK);
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L, 64)) {
            assertTrue(len >= BlockIoUring.OFFLOAD_BYTES);
            for (int i = 0; i < n; i++) {
                h.postNth(i, T_IN, (long) i * sectorsPer, len, true);
            }
            h.d.kick(0);
            TestDriver.await(() -> h.ring.usedIdx() == n, "1 MiB reads");
            for (int i = 0; i < n; i++) {
                assertEquals(S_OK, mem.getByte(STATUS + i));
                for (int s : new int[] {0, 1, sectorsPer / 2, sectorsPer - 1}) {
                    long sector = (long) i * sectorsPer + s;
                    assertEquals((byte) (sector + 1), mem.getByte(DATA + (long) i * len + 512L * s + 7), "request " + i + " sector " + s);
                }
            }
            // And back: each MiB written from guest memory lands in the file.
            for (int i = 0; i < n; i++) {
                mem.fill(DATA + (long) i * len, len, (byte) (0x31 + i));
                h.postNth(i, T_OUT, (long) i * sectorsPer, len, false);
            }
            h.d.kick(0);
            TestDriver.await(() -> h.ring.usedIdx() == 2 * n, "1 MiB writes");
            for (int i = 0; i < n; i++) {
                assertEquals((byte) (0x31 + i), fileBytes(img, (long) i * len + len - 1, 1)[0], "write " + i);
            }
            assertEquals(n * (long) len, blk.metrics().counter("write_bytes").get());
        }
    }

    @Test
    void flushCompletesOnlyAfterEveryWriteQueuedBeforeIt() throws Exception {
        Path img = image(SECTORS);
        VirtioBlock blk = block(uniqueId("fl"), img, false, BlockCacheType.WRITEBACK);
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L, 64)) {
            int writes = BATCH - 1;
            for (int i = 0; i < writes; i++) {
                mem.fill(DATA + 4096L * i, 4096, (byte) (0xA0 + i));
                h.postNth(i, T_OUT, 8L * i, 4096, false);
            }
            h.postNth(writes, T_FLUSH, 0, 0, false);
            h.d.kick(0);
            TestDriver.await(() -> h.ring.usedIdx() == BATCH, "writes and flush");
            int flushHead = 3 * writes;
            assertEquals(flushHead, h.ring.usedId(BATCH - 1), "the flush is the last completion: IOSQE_IO_DRAIN held it back");
            assertEquals(S_OK, mem.getByte(STATUS + writes));
            for (int i = 0; i < writes; i++) {
                assertEquals((byte) (0xA0 + i), fileBytes(img, 8L * i * 512 + 4095, 1)[0], "write " + i + " reached the file");
            }
            assertEquals(1, blk.metrics().counter("flush_count").get());
            assertEquals(writes, blk.metrics().counter("write_count").get());
        }
    }

    @Test
    void drainCompletesEveryRequestInFlightBeforeReturning() throws Exception {
        Path img = image(SECTORS);
        VirtioBlock blk = block(uniqueId("drain"), img, false, BlockCacheType.WRITEBACK);
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L, 64)) {
            h.d.sync(); // the activation's first queue pass has run, so only the task below serves these
            for (int i = 0; i < BATCH; i++) {
                h.postNth(i, T_IN, 8L * i, 4096, true);
            }
            // As a snapshot does on the loop: serve the kick, then drain, in one task.
            CompletableFuture<int[]> seen = new CompletableFuture<>();
            loop.execute(() -> {
                blk.onQueueNotify(0);
                int queued = blk.inFlight();
                blk.drainInFlight();
                seen.complete(new int[] {queued, blk.inFlight(), h.ring.usedIdx()});
            });
            int[] s = seen.get(10, TimeUnit.SECONDS);
            assertTrue(s[0] > 0, "requests were in flight before the drain: " + java.util.Arrays.toString(s));
            assertEquals(0, s[1], "none after it");
            assertEquals(BATCH, s[2], "each has its used-ring entry");
        }
    }

    @Test
    void aFullQueueUnderAnOpsLimiterIsServedInFullAsTheBucketRefills() throws Exception {
        RateLimiter limiter = new RateLimiter(null, new TokenBucketConfig(4, 0, 50));
        Path img = image(SECTORS);
        VirtioBlock blk = new VirtioBlock(uniqueId("rl"), img, false, BlockCacheType.UNSAFE, limiter, engine());
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L, 64)) {
            for (int i = 0; i < BATCH; i++) {
                h.postNth(i, T_IN, 8L * i, 4096, true);
            }
            h.d.kick(0);
            TestDriver.await(() -> h.ring.usedIdx() == BATCH, "every request despite the limiter");
            assertTrue(limiter.throttledEvents() > 0, "the bucket ran dry on the way");
            assertTrue(blk.metrics().counter("rate_limiter_event_count").get() > 0, "the limiter's timer resumed the queue");
            for (int i = 0; i < BATCH; i++) {
                assertEquals(S_OK, mem.getByte(STATUS + i));
                assertEquals((byte) (8 * i + 1), mem.getByte(DATA + 4096L * i));
            }
        }
    }

    @Test
    void theUnavailableMessageNamesTheFixAndTheSyncFallback() {
        String enosys = BlockIoEngine.unavailableMessage("rootfs", dev.ember.sys.LibC.ENOSYS, "io_uring_setup failed: Function not implemented", "0");
        assertTrue(enosys.contains("drive 'rootfs'") && enosys.contains("no io_uring") && enosys.contains("\"io_engine\": \"Sync\""), enosys);
        String eperm = BlockIoEngine.unavailableMessage("rootfs", dev.ember.sys.LibC.EPERM, "io_uring_setup failed: Operation not permitted", "2");
        assertTrue(eperm.contains("kernel.io_uring_disabled is 2") && eperm.contains("sysctl -w kernel.io_uring_disabled=0")
                && eperm.contains("\"io_engine\": \"Sync\""), eperm);
    }
}
