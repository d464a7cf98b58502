package dev.ember.bench.jmh;

import dev.ember.memory.GuestMemory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Guest-memory access as device models do it (virtqueue rings and descriptors are 2-, 4- and
 * 8-byte little-endian fields; block/net payloads are copied or handed to preadv/writev by
 * host address): bounds-checked {@link GuestMemory} accessors on 128 MiB of guest RAM, and on
 * 3.5 GiB + 1 GiB (two regions, across the MMIO gap) to show the region lookup's cost.
 */
public class GuestMemoryBench extends NanosecondBench {
    @Param({"128", "4608"})
    public long memMib;

    GuestMemory mem;
    /** Guest addresses spread over RAM (all in the last region), walked round-robin. */
    long[] addrs;
    int next;
    final byte[] buf = new byte[4096];

    @Setup(Level.Trial)
    public void setup() {
        mem = GuestMemory.create(memMib << 20);
        long end = mem.end();
        addrs = new long[1024];
        for (int i = 0; i < addrs.length; i++) {
            // 64-byte aligned, in the topmost 64 MiB (above 4 GiB when there are two regions).
            addrs[i] = end - (64L << 20) + ((i * 0x9E3779B1L) & ((64L << 20) - 4096 - 1) & ~63L);
        }
        for (long a : addrs) {
            mem.putLong(a, a); // touch the pages once so the benchmark sees resident memory
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        mem.close();
    }

    private long addr() {
        long a = addrs[next];
        next = (next + 1) & (addrs.length - 1);
        return a;
    }

    /** A 16-bit ring index (avail->idx), as a queue handler reads it per notification. */
    @Benchmark
    public short getShort() {
        return mem.getShort(addr());
    }

    @Benchmark
    public int getInt() {
        return mem.getInt(addr());
    }

    /** A descriptor's 64-bit address field. */
    @Benchmark
    public long getLong() {
        return mem.getLong(addr());
    }

    /** A used-ring element write. */
    @Benchmark
    public void putLong() {
        long a = addr();
        mem.putLong(a, a);
    }

    /** Translation only: what preadv/writev paths do per descriptor. */
    @Benchmark
    public long hostAddress() {
        return mem.hostAddress(addr(), 512);
    }

    /** Copying one 4 KiB page out of the guest into a reused heap buffer. */
    @Benchmark
    public byte read4k() {
        mem.read(addr(), buf, 0, buf.length);
        return buf[7];
    }
}
