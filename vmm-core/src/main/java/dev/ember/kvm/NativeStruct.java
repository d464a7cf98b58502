package dev.ember.kvm;

import dev.ember.sys.Native;
import dev.ember.sys.NativeMemory;

/**
 * Base of the struct flyweights: a fixed block of zeroed native memory (or a view of memory the
 * kernel mapped), read and written at the offsets the subclass declares. Accessors take and
 * return primitives, so reuse of one instance allocates nothing.
 */
public abstract class NativeStruct {
    protected final NativeMemory mem;
    private final int size;

    protected NativeStruct(int size) {
        this.mem = Native.allocate(size);
        this.size = size;
    }

    protected NativeStruct(NativeMemory view, int size) {
        this.mem = view;
        this.size = size;
    }

    /** Host address to hand to an ioctl. */
    public final long address() {
        return mem.address();
    }

    public final int byteSize() {
        return size;
    }

    public final void clear() {
        mem.setMemory(0, size, (byte) 0);
    }

    /** Copies the raw bytes out, e.g. for a snapshot. */
    public final byte[] toBytes() {
        byte[] b = new byte[size];
        mem.get(0, b, 0, size);
        return b;
    }

    /** Replaces the raw bytes, e.g. from a snapshot; {@code bytes} must be exactly the struct size. */
    public final void fromBytes(byte[] bytes) {
        if (bytes.length != size) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": expected " + size + " bytes, got " + bytes.length);
        }
        mem.put(0, bytes, 0, size);
    }
}
