package dev.ember.eventloop;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.NativeMemory;

/**
 * A Linux eventfd: the currency of ioeventfd/irqfd and of cross-thread wake-ups. Each instance
 * owns an 8-byte native buffer so {@link #write(long)} and {@link #read()} allocate nothing;
 * an instance is therefore meant to be written by one thread and read by one thread.
 */
public final class EventFd implements AutoCloseable {
    private final int fd;
    private final NativeMemory writeBuf = Native.allocate(8);
    private final NativeMemory readBuf = Native.allocate(8);
    /**
     * Set by {@link #close()}: later writes fail instead of reaching whatever file reused the fd
     * number (a device raising an interrupt while the VM is torn down).
     */
    private volatile boolean closed;

    public EventFd(int flags) {
        this.fd = Native.check(Native.LIBC.eventfd(0, flags | LibC.EFD_CLOEXEC), "eventfd");
    }

    /** A non-blocking eventfd, the usual kind for epoll. */
    public static EventFd nonBlocking() {
        return new EventFd(LibC.EFD_NONBLOCK);
    }

    public int fd() {
        return fd;
    }

    /**
     * Adds {@code value} to the counter.
     *
     * @return false when the write failed (the eventfd is closed); a saturated counter (EAGAIN)
     *         is no failure: the reader has a wake-up pending anyway
     */
    public boolean write(long value) {
        if (closed) {
            return false;
        }
        writeBuf.putLong(0, value);
        long rc;
        do {
            rc = Native.LIBC.write(fd, writeBuf.address(), 8);
        } while (rc < 0 && Native.errno() == LibC.EINTR);
        return rc == 8 || Native.errno() == LibC.EAGAIN;
    }

    /** Reads and resets the counter; returns 0 if nothing was pending (non-blocking fd). */
    public long read() {
        if (closed) {
            return 0;
        }
        long rc = Native.LIBC.read(fd, readBuf.address(), 8);
        return rc == 8 ? readBuf.getLong(0) : 0;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Native.LIBC.close(fd);
    }
}
