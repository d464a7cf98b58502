package dev.ember.devices.virtio.vsock;

import com.kenai.jffi.MemoryIO;
import dev.ember.sys.Native;
import dev.ember.sys.NativeMemory;

/**
 * Guest-to-host bytes a connection's host peer has not taken yet: a native ring of
 * {@link VsockConnection#BUF_ALLOC} bytes, the credit the connection advertises to the guest,
 * so a guest that respects its credit can never overflow it. Allocated when a send first comes
 * up short (most connections never need one) and released when the connection ends.
 */
final class HostTxBuffer {
    private final NativeMemory mem;
    private final int capacity;
    private long head; // bytes ever taken out
    private long tail; // bytes ever put in

    HostTxBuffer(int capacity) {
        this.capacity = capacity;
        this.mem = Native.allocate(capacity);
    }

    int size() {
        return (int) (tail - head);
    }

    int free() {
        return capacity - size();
    }

    boolean isEmpty() {
        return head == tail;
    }

    /** Appends {@code len} bytes at host address {@code src}; the caller checked {@link #free}. */
    void put(long src, int len) {
        MemoryIO io = MemoryIO.getInstance();
        int off = (int) (tail % capacity);
        int first = Math.min(len, capacity - off);
        io.copyMemory(src, mem.address() + off, first);
        if (first < len) {
            io.copyMemory(src + first, mem.address(), len - first);
        }
        tail += len;
    }

    /**
     * Sends what the ring holds to {@code fd} until it is empty or the socket is full.
     *
     * @return bytes sent (possibly 0), or -errno on a failed send that moved nothing
     */
    long flushTo(int fd) {
        long total = 0;
        while (!isEmpty()) {
            int off = (int) (head % capacity);
            int chunk = Math.min(size(), capacity - off);
            long n = HostSockets.send(fd, mem.address() + off, chunk);
            if (n < 0) {
                return total > 0 || n == -dev.ember.sys.LibC.EAGAIN ? total : n;
            }
            head += n;
            total += n;
            if (n < chunk) {
                break;
            }
        }
        return total;
    }
}
