package dev.ember.devices.virtio;

import dev.ember.devices.virtio.VirtqueueException.Reason;
import dev.ember.memory.GuestMemory;

/**
 * One descriptor chain popped from a split virtqueue, flattened: indirect tables are resolved,
 * every buffer is checked to lie inside guest RAM, and device-readable buffers precede the
 * device-writable ones (2.7.4.2). One instance per queue is reused for every request, so the
 * walk allocates nothing; the arrays hold at most queue-size entries, which also bounds cyclic
 * chains.
 *
 * <p>Devices address the chain as two byte streams: the readable area (what the driver sent)
 * and the writable area (what the device may fill), each the concatenation of its buffers.
 */
public final class DescriptorChain {
    private final long[] addr;
    private final long[] len;
    private int count;
    private int readableCount;
    private long readableBytes;
    private long writableBytes;
    private int head;
    private GuestMemory mem;

    public DescriptorChain(int capacity) {
        this.addr = new long[capacity];
        this.len = new long[capacity];
    }

    /**
     * Walks the chain starting at descriptor {@code head} of {@code queue}.
     *
     * @throws VirtqueueException if the chain is malformed; the chain is then empty
     */
    void walk(SplitQueue queue, int head) {
        GuestMemory m = queue.memory();
        this.mem = m;
        this.head = head;
        count = 0;
        readableCount = 0;
        readableBytes = 0;
        writableBytes = 0;
        long table = queue.descTable();
        int tableSize = queue.size();
        int limit = Math.min(queue.size(), addr.length);
        boolean indirect = false;
        boolean seenWritable = false;
        int idx = head;
        while (true) {
            if (idx >= tableSize) {
                throw fail(queue, Reason.DESCRIPTOR_INDEX, String.format("descriptor index %d is outside the %s table of %d entries",
                        idx, indirect ? "indirect" : "descriptor", tableSize));
            }
            if (count >= limit) {
                throw fail(queue, Reason.CHAIN_TOO_LONG, "descriptor chain from head " + head + " is longer than the queue size " + limit
                        + " (cyclic next links?)");
            }
            long d = table + (long) idx * Virtio.DESC_SIZE;
            long a = m.getLong(d);
            long l = m.getInt(d + 8) & 0xFFFF_FFFFL;
            int flags = m.getShort(d + 12) & 0xFFFF;
            int next = m.getShort(d + 14) & 0xFFFF;
            if ((flags & Virtio.DESC_F_INDIRECT) != 0) {
                if (!queue.indirectEnabled()) {
                    throw fail(queue, Reason.INDIRECT_NOT_NEGOTIATED, "indirect descriptor used but VIRTIO_F_INDIRECT_DESC was not negotiated");
                }
                if (indirect) {
                    throw fail(queue, Reason.NESTED_INDIRECT, "indirect descriptor inside an indirect table");
                }
                if ((flags & Virtio.DESC_F_NEXT) != 0) {
                    throw fail(queue, Reason.INDIRECT_WITH_NEXT, "descriptor " + idx + " sets both INDIRECT and NEXT");
                }
                if (l == 0 || l % Virtio.DESC_SIZE != 0) {
                    throw fail(queue, Reason.INDIRECT_TABLE_LENGTH, "indirect table length " + l + " is not a positive multiple of 16");
                }
                if (!m.isValid(a, l)) {
                    throw fail(queue, Reason.INDIRECT_TABLE_ADDRESS, String.format("indirect table [0x%x, +0x%x) is outside guest memory", a, l));
                }
                table = a;
                tableSize = (int) Math.min(l / Virtio.DESC_SIZE, Integer.MAX_VALUE);
                indirect = true;
                idx = 0;
                continue;
            }
            if (l != 0 && !m.isValid(a, l)) {
                throw fail(queue, Reason.BUFFER_ADDRESS, String.format("buffer [0x%x, +0x%x) of descriptor %d is outside guest memory", a, l, idx));
            }
            if ((flags & Virtio.DESC_F_WRITE) != 0) {
                seenWritable = true;
                writableBytes += l;
            } else {
                if (seenWritable) {
                    throw fail(queue, Reason.READABLE_AFTER_WRITABLE, "device-readable descriptor " + idx + " follows a device-writable one");
                }
                readableCount++;
                readableBytes += l;
            }
            addr[count] = a;
            len[count] = l;
            count++;
            if ((flags & Virtio.DESC_F_NEXT) == 0) {
                return;
            }
            idx = next;
        }
    }

    private VirtqueueException fail(SplitQueue q, Reason reason, String what) {
        count = 0;
        readableCount = 0;
        readableBytes = 0;
        writableBytes = 0;
        return new VirtqueueException(reason, "queue " + q.index() + ": " + what);
    }

    public int head() {
        return head;
    }

    public int count() {
        return count;
    }

    public int readableCount() {
        return readableCount;
    }

    public long readableBytes() {
        return readableBytes;
    }

    public long writableBytes() {
        return writableBytes;
    }

    public long address(int i) {
        return addr[i];
    }

    public long length(int i) {
        return len[i];
    }

    public boolean writable(int i) {
        return i >= readableCount;
    }

    /** Little-endian value of {@code size} (1..8) bytes at {@code offset} of the readable area. */
    public long readReadable(long offset, int size) {
        return read(0, readableCount, offset, size);
    }

    /** Little-endian value of {@code size} bytes at {@code offset} of the writable area (for tests). */
    public long readWritable(long offset, int size) {
        return read(readableCount, count, offset, size);
    }

    private long read(int from, int to, long offset, int size) {
        long off = offset;
        int i = from;
        while (i < to && off >= len[i]) {
            off -= len[i];
            i++;
        }
        if (i < to && off + size <= len[i]) {
            long a = addr[i] + off;
            switch (size) {
                case 1: return mem.getByte(a) & 0xFFL;
                case 2: return mem.getShort(a) & 0xFFFFL;
                case 4: return mem.getInt(a) & 0xFFFF_FFFFL;
                case 8: return mem.getLong(a);
                default: break;
            }
        }
        long v = 0;
        for (int b = 0; b < size; b++) {
            while (i < to && off >= len[i]) {
                off -= len[i];
                i++;
            }
            if (i >= to) {
                throw new IndexOutOfBoundsException("read past the end of the chain's buffers");
            }
            v |= (mem.getByte(addr[i] + off) & 0xFFL) << (8 * b);
            off++;
        }
        return v;
    }

    /** Writes {@code size} little-endian bytes of {@code value} at {@code offset} of the writable area. */
    public void writeWritable(long offset, int size, long value) {
        long off = offset;
        int i = readableCount;
        for (int b = 0; b < size; b++) {
            while (i < count && off >= len[i]) {
                off -= len[i];
                i++;
            }
            if (i >= count) {
                throw new IndexOutOfBoundsException("write past the end of the chain's buffers");
            }
            mem.putByte(addr[i] + off, (byte) (value >>> (8 * b)));
            off++;
        }
    }

    /**
     * Describes bytes {@code [offset, offset+length)} of the readable ({@code writableArea}
     * false) or writable area as host iovecs starting at entry {@code first} of {@code iov};
     * returns the number of entries written.
     */
    public int toIovecs(boolean writableArea, long offset, long length, IoVecArray iov, int first) {
        int i = writableArea ? readableCount : 0;
        int to = writableArea ? count : readableCount;
        long off = offset;
        long remaining = length;
        int n = first;
        while (i < to && remaining > 0) {
            long l = len[i];
            if (off >= l) {
                off -= l;
                i++;
                continue;
            }
            long take = Math.min(l - off, remaining);
            iov.set(n++, mem.hostAddress(addr[i] + off, take), take);
            remaining -= take;
            off = 0;
            i++;
        }
        if (remaining > 0) {
            throw new IndexOutOfBoundsException("range extends past the chain's buffers");
        }
        return n - first;
    }
}
