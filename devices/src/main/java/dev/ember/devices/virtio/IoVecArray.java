package dev.ember.devices.virtio;

import dev.ember.sys.Native;
import dev.ember.sys.NativeMemory;

/**
 * A preallocated native array of {@code struct iovec} (x86_64: {@code void *iov_base} at 0,
 * {@code size_t iov_len} at 8, 16 bytes each; checked against the C headers in a layout test),
 * for preadv/pwritev/readv/writev straight on guest memory.
 */
public final class IoVecArray {
    public static final int IOVEC_SIZE = 16;
    public static final int OFFSET_BASE = 0;
    public static final int OFFSET_LEN = 8;

    private final NativeMemory mem;
    private final int capacity;

    public IoVecArray(int capacity) {
        this.capacity = capacity;
        this.mem = Native.allocate(capacity * IOVEC_SIZE);
    }

    public int capacity() {
        return capacity;
    }

    /** Address of entry 0, for the system call. */
    public long address() {
        return mem.address();
    }

    public long addressOf(int i) {
        return mem.address() + (long) i * IOVEC_SIZE;
    }

    public void set(int i, long base, long len) {
        mem.putLong((long) i * IOVEC_SIZE + OFFSET_BASE, base);
        mem.putLong((long) i * IOVEC_SIZE + OFFSET_LEN, len);
    }

    public long base(int i) {
        return mem.getLong((long) i * IOVEC_SIZE + OFFSET_BASE);
    }

    public long length(int i) {
        return mem.getLong((long) i * IOVEC_SIZE + OFFSET_LEN);
    }

    /**
     * Consumes {@code bytes} from the front of entries {@code [from, count)} after a short
     * transfer; returns the index of the first entry that still has data.
     */
    public int advance(int from, int count, long bytes) {
        int i = from;
        while (i < count && bytes > 0) {
            long l = length(i);
            if (bytes >= l) {
                bytes -= l;
                i++;
            } else {
                set(i, base(i) + bytes, l - bytes);
                bytes = 0;
            }
        }
        return i;
    }
}
