package dev.ember.sys;

import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;

/**
 * A block of native memory at a fixed address: a struct or buffer handed to the kernel, or a
 * view of memory mapped elsewhere (guest RAM, the kvm_run page, io_uring's rings). Accessors take
 * an offset from {@link #address()} and primitives, so reading and writing allocates nothing.
 * Multi-byte values are in the host's byte order (little-endian on x86_64). Offsets are not
 * checked: callers address the layouts they declare.
 *
 * <p>Memory from {@link #allocate} is zero-filled and lives as long as this object is reachable;
 * it is a direct {@link ByteBuffer}'s, so the JDK's own cleaner thread (running since the JVM
 * started, with only the process-wide seccomp filter) frees it, and no thread of ours is needed.
 */
public final class NativeMemory {
    private static final MemoryIO IO = MemoryIO.getInstance();

    private final long address;
    private final long size;
    /** Owns allocated memory (null for a view): the memory is freed once this is unreachable. */
    @SuppressWarnings("unused")
    private final ByteBuffer owner;

    private NativeMemory(long address, long size, ByteBuffer owner) {
        this.address = address;
        this.size = size;
        this.owner = owner;
    }

    /** {@code size} zero-filled bytes, freed when the returned object is no longer reachable. */
    public static NativeMemory allocate(int size) {
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size);
        }
        ByteBuffer buffer = ByteBuffer.allocateDirect(Math.max(size, 1)); // zero-filled by the JDK
        return new NativeMemory(IO.getDirectBufferAddress(buffer), size, buffer);
    }

    /** {@code [address, address+size)}, memory someone else owns (a mapping): not freed through this object. */
    public static NativeMemory view(long address, long size) {
        return new NativeMemory(address, size, null);
    }

    /** The host address to hand to a system call. */
    public long address() {
        return address;
    }

    public long size() {
        return size;
    }

    public byte getByte(long offset) {
        return IO.getByte(address + offset);
    }

    public void putByte(long offset, byte value) {
        IO.putByte(address + offset, value);
    }

    public short getShort(long offset) {
        return IO.getShort(address + offset);
    }

    public void putShort(long offset, short value) {
        IO.putShort(address + offset, value);
    }

    public int getInt(long offset) {
        return IO.getInt(address + offset);
    }

    public void putInt(long offset, int value) {
        IO.putInt(address + offset, value);
    }

    public long getLong(long offset) {
        return IO.getLong(address + offset);
    }

    public void putLong(long offset, long value) {
        IO.putLong(address + offset, value);
    }

    /** Copies {@code length} bytes at {@code offset} into {@code dst[index...]}. */
    public void get(long offset, byte[] dst, int index, int length) {
        IO.getByteArray(address + offset, dst, index, length);
    }

    /** Copies {@code src[index...index+length)} to {@code offset}. */
    public void put(long offset, byte[] src, int index, int length) {
        IO.putByteArray(address + offset, src, index, length);
    }

    /** Sets {@code length} bytes at {@code offset} to {@code value}. */
    public void setMemory(long offset, long length, byte value) {
        IO.setMemory(address + offset, length, value);
    }
}
