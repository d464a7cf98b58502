package dev.ember.app;

import static org.junit.jupiter.api.Assertions.*;

import dev.ember.config.RateLimiterConfig;
import dev.ember.config.TokenBucketConfig;
import dev.ember.devices.ratelimit.RateLimiter;
import org.junit.jupiter.api.Test;

/** The mapping from configuration records to device constructor parameters. */
class VirtioDevicesTest {
    @Test
    void macStringBecomesSixBytes() {
        assertArrayEquals(new byte[] {0x06, 0x00, (byte) 0xAC, 0x10, 0x00, (byte) 0xFE}, VirtioDevices.mac("06:00:ac:10:00:FE"));
        assertNull(VirtioDevices.mac(null));
    }

    @Test
    void bucketsKeepFirecrackerSemantics() {
        var b = VirtioDevices.bucket(new TokenBucketConfig(1000L, null, 100L));
        assertEquals(1000, b.size());
        assertEquals(0, b.oneTimeBurst());
        assertEquals(100, b.refillTimeMs());
        assertTrue(b.enabled());
        assertFalse(VirtioDevices.bucket(new TokenBucketConfig(0L, 0L, 100L)).enabled(), "size 0 disables the bucket");
        assertNull(VirtioDevices.bucket(null), "an absent bucket is left unchanged on update");
    }

    @Test
    void limiterFromConfig() {
        assertNull(VirtioDevices.limiter(null));
        try (RateLimiter l = VirtioDevices.limiter(new RateLimiterConfig(new TokenBucketConfig(4096L, 0L, 1000L), null))) {
            assertTrue(l.limited());
            assertTrue(l.consume(4096, 1), "a full bucket admits its size");
        }
        try (RateLimiter l = VirtioDevices.limiter(new RateLimiterConfig(null, new TokenBucketConfig(0L, 0L, 0L)))) {
            assertFalse(l.limited());
        }
    }
}
