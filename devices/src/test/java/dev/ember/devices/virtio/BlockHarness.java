package dev.ember.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;

/** A block device behind a real transport with one queue set up, plus request helpers. */
final class BlockHarness implements AutoCloseable {
    static final long HDR = 0x200000;
    static final long STATUS = 0x201000;
    static final long DATA = 0x300000;
    final GuestMemory mem;
    final TestDriver d;
    final VirtioBlock blk;
    final TestRing ring;

    BlockHarness(GuestMemory mem, EventLoop loop, VirtioBlock blk, long featureMask) {
        this(mem, loop, blk, featureMask, 16);
    }

    BlockHarness(GuestMemory mem, EventLoop loop, VirtioBlock blk, long featureMask, int queueSize) {
        this.mem = mem;
        this.blk = blk;
        this.d = new TestDriver(mem, loop, blk);
        d.negotiate(featureMask);
        ring = new TestRing(mem, queueSize, 0x10000);
        d.setupQueue(0, ring);
        d.driverOk();
        assertEquals(0, d.r(VirtioMmioDevice.REG_STATUS) & Virtio.STATUS_DEVICE_NEEDS_RESET);
    }

    /** Lays out header / data / status in descriptors 0, 1, 2 and publishes, without kicking. */
    void post(int type, long sector, long dataLen, boolean deviceWritesData) {
        mem.putInt(HDR, type);
        mem.putInt(HDR + 4, 0);
        mem.putLong(HDR + 8, sector);
        mem.putByte(STATUS, (byte) 0x7f);
        if (dataLen > 0) {
            ring.setDesc(0, HDR, 16, Virtio.DESC_F_NEXT, 1);
            ring.setDesc(1, DATA, dataLen, Virtio.DESC_F_NEXT | (deviceWritesData ? Virtio.DESC_F_WRITE : 0), 2);
        } else {
            ring.setDesc(0, HDR, 16, Virtio.DESC_F_NEXT, 2);
        }
        ring.setDesc(2, STATUS, 1, Virtio.DESC_F_WRITE, 0);
        ring.publish(0);
    }

    /** Submits one request, kicks, waits for completion; returns the status byte. */
    int request(int type, long sector, long dataLen, boolean deviceWritesData) {
        int before = ring.usedIdx();
        post(type, sector, dataLen, deviceWritesData);
        d.kick(0);
        TestDriver.await(() -> ring.usedIdx() != before, "request completion");
        return mem.getByte(STATUS) & 0xFF;
    }

    /**
     * Lays out request {@code i} of a batch (header, {@code dataLen} bytes at DATA + i * dataLen,
     * status byte STATUS + i) in descriptors 3i..3i+2 and publishes it, without kicking.
     */
    void postNth(int i, int type, long sector, int dataLen, boolean deviceWritesData) {
        long hdr = HDR + 32L * i;
        mem.putInt(hdr, type);
        mem.putInt(hdr + 4, 0);
        mem.putLong(hdr + 8, sector);
        mem.putByte(STATUS + i, (byte) 0x7f);
        int d = 3 * i;
        if (dataLen > 0) {
            ring.setDesc(d, hdr, 16, Virtio.DESC_F_NEXT, d + 1);
            ring.setDesc(d + 1, DATA + (long) i * dataLen, dataLen, Virtio.DESC_F_NEXT | (deviceWritesData ? Virtio.DESC_F_WRITE : 0), d + 2);
        } else {
            ring.setDesc(d, hdr, 16, Virtio.DESC_F_NEXT, d + 2);
        }
        ring.setDesc(d + 2, STATUS + i, 1, Virtio.DESC_F_WRITE, 0);
        ring.publish(d);
    }

    int lastUsedLen() {
        return ring.usedLen(ring.usedIdx() - 1);
    }

    boolean needsReset() {
        return (d.r(VirtioMmioDevice.REG_STATUS) & Virtio.STATUS_DEVICE_NEEDS_RESET) != 0;
    }

    @Override
    public void close() {
        d.close();
    }
}
