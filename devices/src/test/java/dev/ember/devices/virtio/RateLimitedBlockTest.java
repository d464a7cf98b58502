package dev.ember.devices.virtio;

import static dev.ember.devices.virtio.BlockHarness.DATA;
import static dev.ember.devices.virtio.VirtioBlock.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.ember.devices.ratelimit.RateLimiter;
import dev.ember.devices.ratelimit.TokenBucketConfig;
import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rate-limited block device with real timerfds on a real event loop: throughput is capped
 * (checked with a generous lower bound on elapsed time, never an upper one) and throttled
 * queues resume on their own.
 */
@ExtendWith(GuestMemoryAndLoop.class)
class RateLimitedBlockTest {
    static GuestMemory mem;
    static EventLoop loop;
    @TempDir Path dir;


    /** {@link RateLimitedBlockAsyncTest} runs these again with ASYNC. */
    BlockIoEngine engine() {
        return BlockIoEngine.SYNC;
    }

    VirtioBlock drive(String id, RateLimiter limiter) throws Exception {
        Path img = dir.resolve(id + ".img");
        Files.write(img, new byte[1 << 20]);
        return new VirtioBlock(id + Long.toHexString(System.nanoTime() & 0xFFFFF), img, false, BlockCacheType.UNSAFE, limiter, engine());
    }

    @Test
    void bandwidthIsCapped() throws Exception {
        // 64 KiB bucket refilled every 100 ms: 640 KiB/s.
        RateLimiter limiter = new RateLimiter(new TokenBucketConfig(64 * 1024, 0, 100), null);
        try (BlockHarness h = new BlockHarness(mem, loop, drive("bw", limiter), -1L)) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 8; i++) {
                assertEquals(S_OK, h.request(T_OUT, i * 64L, 32 * 1024, false));
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            // 256 KiB, the first 64 KiB from the full bucket: >= 300 ms at 640 KiB/s; generous bound.
            assertTrue(ms >= 150, "256 KiB at 640 KiB/s took only " + ms + " ms");
            assertTrue(limiter.throttledEvents() > 0);
        }
    }

    @Test
    void opsAreCappedAndOneTimeBurstIsSpentFirst() throws Exception {
        // 5 ops per 100 ms after a one-time burst of 10.
        RateLimiter limiter = new RateLimiter(null, new TokenBucketConfig(5, 10, 100));
        try (BlockHarness h = new BlockHarness(mem, loop, drive("ops", limiter), -1L)) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 15; i++) {
                assertEquals(S_OK, h.request(T_IN, i, 512, true));
            }
            long burstMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(0, limiter.throttledEvents(), "15 ops fit in burst + bucket (took " + burstMs + " ms)");
            t0 = System.nanoTime();
            for (int i = 0; i < 10; i++) {
                assertEquals(S_OK, h.request(T_IN, i, 512, true));
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            // 10 more ops at 50/s: about 200 ms; generous bound.
            assertTrue(ms >= 100, "10 throttled ops took only " + ms + " ms");
            assertTrue(limiter.throttledEvents() > 0);
        }
    }

    @Test
    void throttledQueueResumesAfterRuntimeUpdate() throws Exception {
        // One op per 10 s: the second request would wait that long without the update.
        RateLimiter limiter = new RateLimiter(null, new TokenBucketConfig(1, 0, 10_000));
        try (BlockHarness h = new BlockHarness(mem, loop, drive("upd", limiter), -1L)) {
            assertEquals(S_OK, h.request(T_IN, 0, 512, true));
            h.post(T_IN, 1, 512, true);
            h.d.kick(0);
            TestDriver.await(limiter::blocked, "throttling");
            h.d.sync();
            assertEquals(1, h.ring.usedIdx(), "second request held back");
            loop.execute(() -> limiter.update(null, new TokenBucketConfig(0, 0, 0))); // remove the ops limit, on the loop that owns it
            TestDriver.await(() -> h.ring.usedIdx() == 2, "request served after the update");
            assertFalse(limiter.blocked());
            assertEquals(S_OK, mem.getByte(BlockHarness.STATUS));
            assertEquals(0, mem.getByte(DATA));
        }
    }
}
