package dev.ember.bench.jmh;

import dev.ember.devices.virtio.DescriptorChain;
import dev.ember.devices.virtio.SplitQueue;
import dev.ember.memory.GuestMemory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The device side of one virtqueue request: pop a descriptor chain from the available ring
 * (walk and validate every descriptor against guest memory), return it on the used ring and
 * decide whether to interrupt. Each invocation first publishes the chain again as the driver
 * would (two guest-memory stores), so the ring never runs dry. Chains of 1 descriptor (a net
 * rx buffer) and 3 descriptors (a virtio-blk request: header, 4 KiB data, status).
 */
public class VirtqueueBench extends NanosecondBench {
    private static final int QUEUE_SIZE = 256;
    private static final int F_NEXT = 1, F_WRITE = 2;

    @Param({"1", "3"})
    public int chainLength;

    GuestMemory mem;
    SplitQueue queue;
    DescriptorChain chain;
    long desc, avail, used;
    int availIdx;

    @Setup(Level.Trial)
    public void setup() {
        mem = GuestMemory.create(16L << 20);
        desc = 0x10_0000;
        avail = desc + 16L * QUEUE_SIZE;
        used = (avail + 6 + 2L * QUEUE_SIZE + 4095) & ~4095L;
        mem.fill(desc, used + 6 + 8L * QUEUE_SIZE - desc, (byte) 0);
        long data = 0x20_0000;
        if (chainLength == 1) {
            putDesc(0, data, 4096, F_WRITE, 0);
        } else {
            putDesc(0, data, 16, F_NEXT, 1);               // virtio-blk request header (driver -> device)
            putDesc(1, data + 4096, 4096, F_NEXT | F_WRITE, 2); // data buffer (device -> driver)
            putDesc(2, data + 8192, 1, F_WRITE, 0);          // status byte
        }
        SplitQueue.validate(mem, 0, QUEUE_SIZE, QUEUE_SIZE, desc, avail, used); // throws VirtqueueException if wrong
        queue = new SplitQueue(0, mem);
        queue.activate(QUEUE_SIZE, desc, avail, used, true, false);
        chain = new DescriptorChain(QUEUE_SIZE);
    }

    private void putDesc(int i, long addr, int len, int flags, int next) {
        long d = desc + 16L * i;
        mem.putLong(d, addr);
        mem.putInt(d + 8, len);
        mem.putShort(d + 12, (short) flags);
        mem.putShort(d + 14, (short) next);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        mem.close();
    }

    @Benchmark
    public boolean popAndComplete() {
        // driver: make chain 0 available again
        mem.putShort(avail + 4 + 2L * (availIdx & (QUEUE_SIZE - 1)), (short) 0);
        availIdx = (availIdx + 1) & 0xFFFF;
        mem.putShort(avail + 2, (short) availIdx);
        // device
        if (!queue.pop(chain)) {
            throw new IllegalStateException("ring empty");
        }
        queue.addUsed(chain.head(), chain.writableBytes());
        return queue.needsInterrupt();
    }
}
