package dev.ember.devices.virtio;

import static org.junit.jupiter.api.Assertions.*;

import dev.ember.devices.ratelimit.RateLimiter;
import dev.ember.devices.ratelimit.TokenBucketConfig;
import dev.ember.devices.virtio.rng.VirtioRng;
import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;
import dev.ember.metrics.Metrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * virtio-rng on real guest memory behind a real transport: buffers filled from the host's
 * getrandom, hostile chains, the per-request bound, the rate limiter (asserted on how many
 * requests complete, not on time) and a snapshot round trip of the transport.
 */
@ExtendWith(GuestMemoryAndLoop.class)
class VirtioRngTest {
    static GuestMemory mem;
    static EventLoop loop;
    static final long BUF = 0x400000;
    static final long FAR = 0x800000; // a second buffer area

    /** A transport with the request queue (16 entries at 0x10000) set up and DRIVER_OK. */
    static final class Rng implements AutoCloseable {
        final VirtioRng dev;
        final TestDriver d;
        final TestRing ring;

        Rng(RateLimiter limiter) {
            dev = new VirtioRng(limiter);
            ring = new TestRing(mem, 16, 0x10000);
            d = TestDriver.ready(mem, loop, dev, ring);
        }

        boolean needsReset() {
            return (d.r(VirtioMmioDevice.REG_STATUS) & Virtio.STATUS_DEVICE_NEEDS_RESET) != 0;
        }

        /** Publishes a one-descriptor request in slot {@code i} and returns without kicking. */
        void post(int i, long addr, long len, int flags) {
            ring.setDesc(i, addr, len, flags, 0);
            ring.publish(i);
        }

        int submit(long addr, long len, int flags) {
            int before = ring.usedIdx();
            post(0, addr, len, flags);
            d.kick(0);
            TestDriver.await(() -> ring.usedIdx() != before || needsReset(), "the entropy request to complete");
            return ring.usedLen(ring.usedIdx() - 1);
        }

        @Override
        public void close() {
            d.close();
        }
    }

    static long counter(String name) {
        return Metrics.group("entropy").counter(name).get();
    }

    private static int zeroBytes(long addr, int len) {
        byte[] b = new byte[len];
        mem.read(addr, b, 0, len);
        int z = 0;
        for (byte x : b) {
            z += x == 0 ? 1 : 0;
        }
        return z;
    }

    @Test
    void fillsEveryWritableBufferOfAChainWithHostRandomness() {
        try (Rng r = new Rng(null)) {
            assertEquals(VirtioRng.DEVICE_ID, r.d.r(VirtioMmioDevice.REG_DEVICE_ID));
            long bytesBefore = counter("entropy_bytes");
            mem.fill(BUF, 8192, (byte) 0);
            // Three buffers: 100 bytes, an empty one, 4000 bytes further on.
            r.ring.setDesc(0, BUF, 100, Virtio.DESC_F_WRITE | Virtio.DESC_F_NEXT, 1);
            r.ring.setDesc(1, BUF + 200, 0, Virtio.DESC_F_WRITE | Virtio.DESC_F_NEXT, 2);
            r.ring.setDesc(2, BUF + 4096, 4000, Virtio.DESC_F_WRITE, 0);
            r.ring.publish(0);
            r.d.kick(0);
            TestDriver.await(() -> r.ring.usedIdx() == 1, "the request to complete");
            assertEquals(4100, r.ring.usedLen(0), "used length is every byte of the writable buffers");
            // Random bytes are zero with probability 1/256: ~16 of 4100 expected, 100 is far out.
            assertTrue(zeroBytes(BUF + 4096, 4000) < 100, "the 4000-byte buffer was filled");
            assertTrue(zeroBytes(BUF, 100) < 20, "the 100-byte buffer was filled");
            assertEquals(100, zeroBytes(BUF + 100, 100), "nothing written between the buffers");
            byte[] first = new byte[64];
            mem.read(BUF + 4096, first, 0, 64);
            assertEquals(64, r.submit(BUF + 4096, 64, Virtio.DESC_F_WRITE));
            byte[] second = new byte[64];
            mem.read(BUF + 4096, second, 0, 64);
            assertFalse(java.util.Arrays.equals(first, second), "each request gets fresh bytes");
            assertEquals(4164, counter("entropy_bytes") - bytesBefore);
            assertTrue(r.d.interrupts() > 0, "completions raise the used-buffer interrupt");
            assertFalse(r.needsReset());
        }
    }

    @Test
    void aRequestGetsAtMostTheBoundAndBytesPastItStayUntouched() {
        try (Rng r = new Rng(null)) {
            long len = 1 << 20;
            mem.fill(FAR, len, (byte) 0x5a);
            assertEquals(VirtioRng.MAX_REQUEST_BYTES, r.submit(FAR, len, Virtio.DESC_F_WRITE));
            byte[] tail = new byte[4096];
            mem.read(FAR + VirtioRng.MAX_REQUEST_BYTES, tail, 0, tail.length);
            for (byte b : tail) {
                assertEquals(0x5a, b, "bytes past the bound are the guest's own");
            }
        }
    }

    @Test
    void readableDescriptorIsAnsweredWithNothingAndCounted() {
        try (Rng r = new Rng(null)) {
            long fails = counter("entropy_event_fails");
            mem.fill(BUF, 64, (byte) 7);
            assertEquals(0, r.submit(BUF, 64, 0));
            assertEquals(1, counter("entropy_event_fails") - fails);
            assertEquals(7, mem.getByte(BUF + 10), "a device-readable buffer is never written");
            assertFalse(r.needsReset(), "the device goes on");
            assertEquals(32, r.submit(BUF, 32, Virtio.DESC_F_WRITE));
            assertEquals(0, r.submit(BUF, 0, Virtio.DESC_F_WRITE), "an empty request completes empty");
        }
    }

    @Test
    void bufferOutsideGuestMemoryNeedsResetAndTheNextDriverWorks() {
        try (Rng r = new Rng(null)) {
            long errs = counter("device_errors_buffer_address");
            r.post(0, GuestMemoryAndLoop.MEMORY_BYTES - 16, 64, Virtio.DESC_F_WRITE);
            r.d.kick(0);
            TestDriver.await(r::needsReset, "DEVICE_NEEDS_RESET");
            assertEquals(1, counter("device_errors_buffer_address") - errs);
            assertEquals(0, r.ring.usedIdx(), "nothing completed");
        }
        try (Rng again = new Rng(null)) {
            assertEquals(16, again.submit(BUF, 16, Virtio.DESC_F_WRITE), "a fresh driver is served");
        }
    }

    @Test
    void bandwidthBucketBoundsTheBytesServed() {
        // 4096 bytes, refilled over 100 s: four 1 KiB requests pass, the fifth would wait ~25 s.
        RateLimiter limiter = new RateLimiter(new TokenBucketConfig(4096, 0, 100_000), null);
        try (Rng r = new Rng(limiter)) {
            long throttled = counter("entropy_rate_limiter_throttled");
            for (int i = 0; i < 8; i++) {
                r.post(i, BUF + 1024L * i, 1024, Virtio.DESC_F_WRITE);
            }
            r.d.kick(0);
            r.d.sync();
            assertEquals(4, r.ring.usedIdx(), "the bucket's 4096 bytes served four 1 KiB requests");
            assertTrue(counter("entropy_rate_limiter_throttled") - throttled >= 1);
            assertTrue(limiter.blocked());
            r.d.kick(0); // a kick while throttled serves nothing
            r.d.sync();
            assertEquals(4, r.ring.usedIdx());
            loop.execute(() -> limiter.update(new TokenBucketConfig(0, 0, 0), null));
            TestDriver.await(() -> r.ring.usedIdx() == 8, "the rest once the limit is lifted");
        }
    }

    @Test
    void opsBucketBoundsTheRequestsServed() {
        RateLimiter limiter = new RateLimiter(null, new TokenBucketConfig(2, 1, 100_000));
        try (Rng r = new Rng(limiter)) {
            for (int i = 0; i < 6; i++) {
                r.post(i, BUF + 64L * i, 64, Virtio.DESC_F_WRITE);
            }
            r.d.kick(0);
            r.d.sync();
            assertEquals(3, r.ring.usedIdx(), "one-time burst 1 + bucket 2");
        }
    }

    @Test
    void refilledBucketResumesTheQueueOnItsOwn() {
        // 1 KiB per 200 ms: the timer, not a kick, serves the second request.
        RateLimiter limiter = new RateLimiter(new TokenBucketConfig(1024, 0, 200), null);
        try (Rng r = new Rng(limiter)) {
            long timerEvents = counter("rate_limiter_event_count");
            r.post(0, BUF, 1024, Virtio.DESC_F_WRITE);
            r.post(1, BUF + 1024, 1024, Virtio.DESC_F_WRITE);
            r.d.kick(0);
            TestDriver.await(() -> r.ring.usedIdx() == 2, "the throttled request after the refill");
            assertTrue(counter("rate_limiter_event_count") - timerEvents >= 1);
        }
    }

    @Test
    void transportStateSurvivesASnapshotAndTheQueueGoesOn() throws Exception {
        Rng r = new Rng(null);
        assertEquals(16, r.submit(BUF, 16, Virtio.DESC_F_WRITE));
        assertEquals(16, r.submit(BUF, 16, Virtio.DESC_F_WRITE));
        int status = r.d.r(VirtioMmioDevice.REG_STATUS);
        byte[] state = r.d.saveState();
        r.close();

        VirtioRng second = new VirtioRng(null);
        try (TestDriver d2 = new TestDriver(mem, loop, second)) {
            d2.restoreState(state);
            assertEquals(status, d2.r(VirtioMmioDevice.REG_STATUS), "DRIVER_OK without renegotiation");
            r.ring.setDesc(0, BUF, 48, Virtio.DESC_F_WRITE, 0);
            r.ring.publish(0);
            d2.kick(0);
            TestDriver.await(() -> r.ring.usedIdx() == 3, "the third request on the restored device");
            assertEquals(48, r.ring.usedLen(2));
        }
    }
}
