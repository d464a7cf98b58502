package dev.ember.devices.virtio.vsock;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.SockaddrUn;

/**
 * The host side of the vsock device: non-blocking AF_UNIX stream sockets. Calls return the fd
 * or byte count, or {@code -errno}; nothing here throws on a peer's doing.
 */
final class HostSockets {
    private static final int TYPE = LibC.SOCK_STREAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC;
    /** Pending host connections the kernel queues before we accept them. */
    static final int LISTEN_BACKLOG = 128;

    private HostSockets() {}

    /**
     * Creates, binds and listens on {@code path}.
     *
     * @throws VsockException naming the path and the reason
     */
    static int listen(String path) {
        SockaddrUn addr;
        try {
            addr = new SockaddrUn(path);
        } catch (IllegalArgumentException e) {
            throw new VsockException(VsockException.Reason.UDS_PATH, "vsock uds_path: " + e.getMessage());
        }
        int fd = Native.LIBC.socket(LibC.AF_UNIX, TYPE, 0);
        if (fd < 0) {
            throw new VsockException(VsockException.Reason.UDS_BIND, "vsock: cannot create a Unix socket: "
                    + Native.LIBC.strerror(Native.errno()));
        }
        if (Native.LIBC.bind(fd, addr.address(), addr.length()) < 0 || Native.LIBC.listen(fd, LISTEN_BACKLOG) < 0) {
            int err = Native.errno();
            Native.LIBC.close(fd);
            throw new VsockException(VsockException.Reason.UDS_BIND, "vsock uds_path " + path + ": cannot bind a Unix socket there: "
                    + Native.LIBC.strerror(err) + (err == LibC.EADDRINUSE ? " (remove the stale file first)" : ""));
        }
        return fd;
    }

    /** Accepts one pending connection: its fd (non-blocking), or -errno (-EAGAIN when none). */
    static int accept(int listenFd) {
        int fd = Native.LIBC.accept4(listenFd, 0, 0, LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC);
        return fd >= 0 ? fd : -Native.errno();
    }

    /** Connects to the listener at {@code path} without blocking: the fd, or -errno. */
    static int connect(String path) {
        SockaddrUn addr;
        try {
            addr = new SockaddrUn(path);
        } catch (IllegalArgumentException e) {
            return -LibC.EINVAL;
        }
        int fd = Native.LIBC.socket(LibC.AF_UNIX, TYPE, 0);
        if (fd < 0) {
            return -Native.errno();
        }
        if (Native.LIBC.connect(fd, addr.address(), addr.length()) < 0) {
            // A full backlog on a non-blocking AF_UNIX connect is EAGAIN: treated as refused.
            int err = Native.errno();
            Native.LIBC.close(fd);
            return -err;
        }
        return fd;
    }

    /** Sends up to {@code len} bytes at host address {@code buf}: bytes sent, or -errno (EPIPE, not SIGPIPE). */
    static long send(int fd, long buf, long len) {
        long n = Native.LIBC.send(fd, buf, len, LibC.MSG_NOSIGNAL);
        return n >= 0 ? n : -Native.errno();
    }

    /** readv into guest memory: bytes read, 0 at end of stream, or -errno. */
    static long readv(int fd, long iov, int count) {
        long n = Native.LIBC.readv(fd, iov, count);
        return n >= 0 ? n : -Native.errno();
    }

    /** Reads up to {@code len} bytes to host address {@code buf}: bytes read, 0 at end of stream, or -errno. */
    static long read(int fd, long buf, long len) {
        long n = Native.LIBC.read(fd, buf, len);
        return n >= 0 ? n : -Native.errno();
    }

    static void shutdownWrite(int fd) {
        Native.LIBC.shutdown(fd, LibC.SHUT_WR);
    }

    static void close(int fd) {
        Native.LIBC.close(fd);
    }
}
