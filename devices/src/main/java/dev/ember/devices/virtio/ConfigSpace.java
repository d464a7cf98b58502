package dev.ember.devices.virtio;

import java.lang.invoke.VarHandle;

/**
 * A device's configuration space (virtio 1.2, 2.5): its little-endian fields as bytes.
 *
 * <p>vCPU threads read it ({@link #read}): an access outside it, or wider than 8 bytes, reads 0
 * and is counted as {@code cfg_fails}. The device sets its fields with {@link #put} while it is
 * built (before any vCPU runs); a field that changes while the guest runs (a drive's capacity)
 * goes through {@link #update} on the event loop, behind a seqlock: a read that overlaps it
 * retries instead of blocking, so a guest never sees half of an old and half of a new value.
 * Nothing here allocates.
 */
public final class ConfigSpace {
    private final byte[] bytes;
    private final DeviceMetrics metrics;
    /** Odd while {@link #update} rewrites bytes. */
    private volatile int seq;

    /** {@code size} zero bytes; {@code metrics} counts the accesses outside them. */
    public ConfigSpace(int size, DeviceMetrics metrics) {
        this.bytes = new byte[size];
        this.metrics = metrics;
    }

    /** Sets the {@code size}-byte field at {@code offset}: while the device is being built, or inside an update. */
    public ConfigSpace put(int offset, int size, long value) {
        for (int i = 0; i < size; i++) {
            bytes[offset + i] = (byte) (value >>> (8 * i));
        }
        return this;
    }

    /** Copies {@code value} to {@code offset}; only while the device is being built. */
    public ConfigSpace put(int offset, byte[] value) {
        System.arraycopy(value, 0, bytes, offset, value.length);
        return this;
    }

    /**
     * Changes a field while the guest may be reading: readers wait (spinning, never blocked)
     * until the whole new value is in place. One writer: the event loop.
     */
    public void update(int offset, int size, long value) {
        beginUpdate();
        put(offset, size, value);
        endUpdate();
    }

    /**
     * Opens an update: until {@link #endUpdate}, reads wait, so what the writer does in between
     * (new bytes through {@link #put}, a ConfigGeneration bump) is seen whole or not at all.
     */
    public void beginUpdate() {
        seq++; // odd: readers retry
        VarHandle.storeStoreFence();
    }

    public void endUpdate() {
        seq++; // even again; the volatile write publishes the bytes
    }

    /** Reads {@code size} (1..8) bytes at {@code offset}; 0 (counted) outside the space. vCPU threads. */
    public long read(int offset, int size) {
        if (!metrics.configAccessValid(offset, size, bytes.length)) {
            return 0;
        }
        while (true) {
            int s = seq;
            if ((s & 1) != 0) {
                Thread.onSpinWait(); // the event loop is halfway through an update
                continue;
            }
            long v = 0;
            for (int i = 0; i < size; i++) {
                v |= (bytes[offset + i] & 0xFFL) << (8 * i);
            }
            VarHandle.acquireFence(); // the bytes are read before the sequence is checked again
            if (s == seq) {
                return v;
            }
        }
    }
}
