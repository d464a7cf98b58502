package dev.ember.sys;

import dev.ember.sys.NativeMemory;

/**
 * A file descriptor handed to another process over a connected Unix socket ({@code SCM_RIGHTS}),
 * the peer's process id ({@code SO_PEERCRED}) and {@code poll(2)}: what the userfaultfd memory
 * backend's handshake needs (docs/snapshots.md). Every struct is declared here once, at the
 * offsets of {@code <sys/socket.h>} and {@code <poll.h>} on x86_64 (FdPassingLayoutTest checks
 * them with gcc).
 */
public final class FdPassing {
    /** {@code struct msghdr} */
    public static final int MSGHDR_SIZE = 56, MSG_NAME = 0, MSG_NAMELEN = 8, MSG_IOV = 16, MSG_IOVLEN = 24,
            MSG_CONTROL = 32, MSG_CONTROLLEN = 40, MSG_FLAGS = 48;
    /** {@code struct iovec} */
    public static final int IOVEC_SIZE = 16, IOV_BASE = 0, IOV_LEN = 8;
    /** {@code struct cmsghdr}; one int of data: CMSG_LEN(4) and CMSG_SPACE(4). */
    public static final int CMSG_LEN_FIELD = 0, CMSG_LEVEL = 8, CMSG_TYPE = 12, CMSG_DATA = 16,
            CMSG_LEN_ONE_FD = 20, CMSG_SPACE_ONE_FD = 24;
    /** {@code struct ucred} */
    public static final int UCRED_SIZE = 12, UCRED_PID = 0, UCRED_UID = 4, UCRED_GID = 8;
    /** {@code struct pollfd} */
    public static final int POLLFD_SIZE = 8, POLLFD_FD = 0, POLLFD_EVENTS = 4, POLLFD_REVENTS = 6;

    public static final int SOL_SOCKET = 1, SCM_RIGHTS = 1, SO_PEERCRED = 17, SO_SNDTIMEO = 21;
    /** {@code struct timeval}, as SO_SNDTIMEO takes it. */
    public static final int TIMEVAL_SIZE = 16, TV_SEC = 0, TV_USEC = 8;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000, MSG_CTRUNC = 0x8;
    public static final short POLLIN = 0x1, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20, POLLRDHUP = 0x2000;

    private FdPassing() {}

    /** {@code CMSG_LEN(n * sizeof(int))}: a control message carrying {@code n} fds, without its trailing padding. */
    public static int cmsgLen(int n) {
        return CMSG_DATA + 4 * n;
    }

    /** {@code CMSG_SPACE(n * sizeof(int))}: the room a control message of {@code n} fds takes (8-byte aligned on x86_64). */
    public static int cmsgSpace(int n) {
        return CMSG_DATA + ((4 * n + 7) & ~7);
    }

    /**
     * Sends {@code data} with {@code fd} attached as one message; returns the bytes sent, or -1
     * with errno set. The fd stays open here (the receiver gets its own copy).
     */
    public static long sendWithFd(int socket, byte[] data, int fd) {
        return sendWithFds(socket, data, data.length, new int[] {fd}, 1);
    }

    /**
     * Sends the first {@code length} bytes of {@code data} as one message with the first
     * {@code fdCount} of {@code fds} attached in one SCM_RIGHTS control message (none when 0);
     * returns the bytes sent, or -1 with errno set. The fds stay open here.
     */
    public static long sendWithFds(int socket, byte[] data, int length, int[] fds, int fdCount) {
        int space = fdCount == 0 ? 0 : cmsgSpace(fdCount);
        int block = MSGHDR_SIZE + IOVEC_SIZE + space;
        NativeMemory m = Native.allocate(block + length);
        long base = m.address();
        long iov = base + MSGHDR_SIZE, control = iov + IOVEC_SIZE, payload = control + space;
        m.put(block, data, 0, length);
        m.putLong(MSGHDR_SIZE + IOV_BASE, payload);
        m.putLong(MSGHDR_SIZE + IOV_LEN, length);
        m.putLong(MSG_IOV, iov);
        m.putLong(MSG_IOVLEN, 1);
        if (fdCount > 0) {
            m.putLong(MSG_CONTROL, control);
            m.putLong(MSG_CONTROLLEN, space);
            int c = MSGHDR_SIZE + IOVEC_SIZE;
            m.putLong(c + CMSG_LEN_FIELD, cmsgLen(fdCount));
            m.putInt(c + CMSG_LEVEL, SOL_SOCKET);
            m.putInt(c + CMSG_TYPE, SCM_RIGHTS);
            for (int i = 0; i < fdCount; i++) {
                m.putInt(c + CMSG_DATA + 4 * i, fds[i]);
            }
        }
        long sent = Native.LIBC.sendmsg(socket, base, LibC.MSG_NOSIGNAL);
        java.lang.ref.Reference.reachabilityFence(m); // base is a raw address: m's cleaner must not free it mid-call
        return sent;
    }

    /** One message and the fd that came with it (-1 if none). */
    public record Received(byte[] data, int fd) {}

    /**
     * Receives one message of at most {@code maxBytes} with at most one fd ({@code O_CLOEXEC}).
     * Returns null with errno set on failure; an empty message means the peer closed.
     * Further fds in the same message, if a peer sent more, are closed.
     */
    public static Received receiveWithFd(int socket, int maxBytes) {
        int control = 64; // room for a few fds, so a peer that sends more cannot leave us a truncated set
        NativeMemory m = Native.allocate(MSGHDR_SIZE + IOVEC_SIZE + control + maxBytes);
        long base = m.address();
        long iov = base + MSGHDR_SIZE, cbuf = iov + IOVEC_SIZE, payload = cbuf + control;
        m.putLong(MSGHDR_SIZE + IOV_BASE, payload);
        m.putLong(MSGHDR_SIZE + IOV_LEN, maxBytes);
        m.putLong(MSG_IOV, iov);
        m.putLong(MSG_IOVLEN, 1);
        m.putLong(MSG_CONTROL, cbuf);
        m.putLong(MSG_CONTROLLEN, control);
        long n = Native.LIBC.recvmsg(socket, base, MSG_CMSG_CLOEXEC);
        if (n < 0) {
            return null;
        }
        int fd = -1;
        long controlLen = m.getLong(MSG_CONTROLLEN);
        int c = MSGHDR_SIZE + IOVEC_SIZE;
        for (long off = 0; off + CMSG_DATA <= controlLen;) {
            long len = m.getLong(c + off + CMSG_LEN_FIELD);
            if (len < CMSG_DATA || off + len > controlLen) {
                break;
            }
            if (m.getInt(c + off + CMSG_LEVEL) == SOL_SOCKET && m.getInt(c + off + CMSG_TYPE) == SCM_RIGHTS) {
                for (long d = CMSG_DATA; d + 4 <= len; d += 4) {
                    int got = m.getInt(c + off + d);
                    if (fd < 0) {
                        fd = got;
                    } else {
                        Native.LIBC.close(got);
                    }
                }
            }
            off += (len + 7) & ~7L;
        }
        byte[] data = new byte[(int) n];
        m.get(MSGHDR_SIZE + IOVEC_SIZE + control, data, 0, (int) n);
        return new Received(data, fd);
    }

    /**
     * The process id of the peer of a connected Unix socket (the process that called connect or
     * listen), 0 when it lives in a PID namespace this process cannot see, -1 with errno on failure.
     */
    public static int peerPid(int socket) {
        NativeMemory m = Native.allocate(UCRED_SIZE + 8);
        m.putInt(UCRED_SIZE, UCRED_SIZE);
        if (Native.LIBC.getsockopt(socket, SOL_SOCKET, SO_PEERCRED, m.address(), m.address() + UCRED_SIZE) < 0) {
            return -1;
        }
        return m.getInt(UCRED_PID);
    }

    /**
     * Bounds a blocking connect(2) (on a Unix socket: while the listener's backlog is full) and
     * sendmsg(2) on {@code socket} to {@code millis}; they then fail with EAGAIN. -1 with errno on failure.
     */
    public static int sendTimeout(int socket, long millis) {
        NativeMemory tv = Native.allocate(TIMEVAL_SIZE);
        tv.putLong(TV_SEC, millis / 1000);
        tv.putLong(TV_USEC, millis % 1000 * 1000);
        return Native.LIBC.setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, tv.address(), TIMEVAL_SIZE);
    }
}
