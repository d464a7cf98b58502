package dev.ember.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.metrics.FirecrackerMetrics;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ConfigSpaceTest {
    private final DeviceMetrics metrics = new DeviceMetrics(FirecrackerMetrics.BLOCK, "cfgtest" + System.nanoTime());

    @Test
    void fieldsAreLittleEndianAndReadAtAnyWidthAndOffset() {
        ConfigSpace c = new ConfigSpace(16, metrics).put(0, 8, 0x1122_3344_5566_7788L).put(8, 2, 0xABCD).put(12, new byte[] {1, 2, 3, 4});
        assertEquals(0x1122_3344_5566_7788L, c.read(0, 8));
        assertEquals(0x7788, c.read(0, 2));
        assertEquals(0x3344_5566L, c.read(2, 4));
        assertEquals(0xCD, c.read(8, 1));
        assertEquals(0x0000_ABCDL, c.read(8, 4));
        assertEquals(0x0403_0201L, c.read(12, 4));
        assertEquals(0, metrics.cfgFails.get());
    }

    @Test
    void accessesOutsideTheSpaceReadZeroAndAreCounted() {
        ConfigSpace c = new ConfigSpace(8, metrics).put(0, 8, -1L);
        assertEquals(0, c.read(4, 8), "runs past the end");
        assertEquals(0, c.read(8, 1), "starts at the end");
        assertEquals(0, c.read(-1, 1), "negative offset");
        assertEquals(0, c.read(0, 0), "zero width");
        assertEquals(0, c.read(0, 9), "wider than 8 bytes");
        assertEquals(5, metrics.cfgFails.get());
        assertEquals(-1L, c.read(0, 8));
        assertEquals(0, new ConfigSpace(0, metrics).read(0, 1), "a device without config space");
        assertEquals(6, metrics.cfgFails.get());
    }

    /** A reader racing updates sees the old or the new 8-byte value, never half of each. */
    @Test
    void aReadDuringAnUpdateSeesOneWholeValue() throws Exception {
        long a = 0x0000_0000_FFFF_FFFFL;
        long b = 0xFFFF_FFFF_0000_0000L;
        ConfigSpace c = new ConfigSpace(8, metrics).put(0, 8, a);
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong torn = new AtomicLong(-1);
        AtomicLong reads = new AtomicLong();
        Thread reader = new Thread(() -> {
            do {
                for (int i = 0; i < 1000; i++) {
                    long v = c.read(0, 8);
                    if (v != a && v != b) {
                        torn.compareAndSet(-1, v);
                    }
                }
                reads.addAndGet(1000);
            } while (!done.get());
        });
        reader.start();
        // Updates go on until the reader has overlapped them enough, however long a loaded machine
        // keeps it off a CPU (a fixed count of updates once ended before the reader ran at all).
        long giveUp = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(2);
        for (int i = 0; reads.get() < 200_000 && (i < 2_000_000 || reads.get() < 20_000) && System.nanoTime() < giveUp; i++) {
            c.update(0, 8, (i & 1) == 0 ? b : a);
        }
        done.set(true);
        reader.join();
        assertEquals(-1, torn.get(), () -> String.format("a torn value was read: 0x%016x", torn.get()));
        assertTrue(reads.get() >= 20_000, () -> "the reader overlapped only " + reads.get() + " reads with the updates");
    }
}
