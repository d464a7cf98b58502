package dev.ember.sys;

import static dev.ember.sys.RawLibc.invoke0;
import static dev.ember.sys.RawLibc.invoke1;
import static dev.ember.sys.RawLibc.invoke2;
import static dev.ember.sys.RawLibc.invoke3;
import static dev.ember.sys.RawLibc.invoke4;
import static dev.ember.sys.RawLibc.invoke5;
import static dev.ember.sys.RawLibc.invoke6;

import java.nio.charset.StandardCharsets;

/**
 * The libc calls Ember makes, each a glibc function called through jffi's invoker
 * ({@link RawLibc}): no code is generated, so binding costs one symbol look-up per function when
 * the class initialises (jnr-ffi's binding of the same ~50 functions generated a class with ASM
 * and a native stub per method, ~120 ms of CPU that the AOT cache could not hold, and needed
 * executable memory the api seccomp filter forbids). Every call saves errno, so that
 * {@link Native#errno()} is valid right after a failing call on the same thread.
 *
 * <p>Addresses are {@code long}s (host addresses of {@link NativeMemory}, guest RAM, the kvm_run
 * page), so calls on the hot paths allocate nothing. Every argument travels as a 64-bit integer
 * (x86_64 passes them in registers; a function reads the width it declares), and an {@code int}
 * result is the low half of the returned register. Calls that take a {@code String} or a
 * {@code byte[]} copy it to native memory first (not for hot paths).
 */
public final class LibC {

    public static final int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0100, O_EXCL = 0200, O_TRUNC = 01000, O_APPEND = 02000, O_NONBLOCK = 04000,
            O_CLOEXEC = 02000000, O_DIRECT = 040000, O_SYNC = 04010000;

    public static final int PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
    public static final int MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20,
            MAP_NORESERVE = 0x4000, MAP_POPULATE = 0x8000, MAP_HUGETLB = 0x40000;
    /** MAP_HUGETLB page size: log2(size) in bits 26..31 (MAP_HUGE_SHIFT); 21 = 2 MiB. */
    public static final int MAP_HUGE_2MB = 21 << 26;
    public static final long MAP_FAILED = -1L;
    public static final int MADV_DONTNEED = 4, MADV_REMOVE = 9, MADV_HUGEPAGE = 14, MADV_DONTDUMP = 16;

    public static final int MFD_CLOEXEC = 1;
    public static final int EFD_CLOEXEC = 02000000, EFD_NONBLOCK = 04000, EFD_SEMAPHORE = 1;

    public static final int EPOLL_CLOEXEC = 02000000;
    public static final int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
    public static final int EPOLLIN = 0x001, EPOLLOUT = 0x004, EPOLLERR = 0x008, EPOLLHUP = 0x010, EPOLLET = 1 << 31;

    public static final int CLOCK_MONOTONIC = 1;
    public static final int TFD_CLOEXEC = 02000000, TFD_NONBLOCK = 04000;

    public static final int EINTR = 4, EAGAIN = 11, ENOENT = 2, EEXIST = 17, EINVAL = 22, EBUSY = 16, EFAULT = 14,
            ENOSPC = 28, EPERM = 1, EACCES = 13, ENOSYS = 38, EPIPE = 32, ECONNRESET = 104, ECONNREFUSED = 111,
            EADDRINUSE = 98, EINPROGRESS = 115, ENXIO = 6, ESRCH = 3;

    public static final int SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
    public static final long SIG_DFL = 0, SIG_IGN = 1;
    /** sizeof(sigset_t) in glibc (1024 bits); the kernel's own sigset is the first 8 bytes. */
    public static final int GLIBC_SIGSET_BYTES = 128;

    /** getrandom(2) flag: fail with EAGAIN instead of blocking before the pool is initialised. */
    public static final int GRND_NONBLOCK = 1;

    // Unix domain stream sockets (the vsock device's host side). <sys/socket.h>
    public static final int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_NONBLOCK = 04000, SOCK_CLOEXEC = 02000000;
    public static final int SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2;
    /** send(2) flag: a write to a closed peer fails with EPIPE instead of raising SIGPIPE. */
    public static final int MSG_NOSIGNAL = 0x4000;

    // Process hardening (seccomp, jailer).
    public static final int PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39, PR_GET_SECCOMP = 21;

    // Namespaces, mounts and identity (the jailer). <sched.h>, <sys/mount.h>, <linux/close_range.h>
    public static final int CLONE_NEWNS = 0x00020000, CLONE_NEWNET = 0x40000000, CLONE_NEWPID = 0x20000000;
    public static final long MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_REMOUNT = 32, MS_BIND = 4096, MS_REC = 16384,
            MS_SLAVE = 1 << 19;
    public static final int MNT_DETACH = 2;
    public static final int S_IFCHR = 0020000;
    public static final int CLOSE_RANGE_CLOEXEC = 1 << 2;
    public static final long SYS_PIVOT_ROOT = 155, SYS_CLOSE_RANGE = 436;

    private static final long OPEN = RawLibc.function("open"), CLOSE = RawLibc.function("close"),
            IOCTL = RawLibc.function("ioctl"), MUNMAP = RawLibc.function("munmap"), MADVISE = RawLibc.function("madvise"),
            MINCORE = RawLibc.function("mincore"), GETRANDOM = RawLibc.function("getrandom"),
            READ = RawLibc.function("read"), WRITE = RawLibc.function("write"), PREAD64 = RawLibc.function("pread64"),
            PWRITE64 = RawLibc.function("pwrite64"), PREADV = RawLibc.function("preadv"), PWRITEV = RawLibc.function("pwritev"),
            READV = RawLibc.function("readv"), WRITEV = RawLibc.function("writev"), FSYNC = RawLibc.function("fsync"),
            FTRUNCATE = RawLibc.function("ftruncate"), FALLOCATE = RawLibc.function("fallocate"), LSEEK = RawLibc.function("lseek"),
            EVENTFD = RawLibc.function("eventfd"), SOCKET = RawLibc.function("socket"), BIND = RawLibc.function("bind"),
            LISTEN = RawLibc.function("listen"), ACCEPT4 = RawLibc.function("accept4"), CONNECT = RawLibc.function("connect"),
            SHUTDOWN = RawLibc.function("shutdown"), SEND = RawLibc.function("send"), UNLINK = RawLibc.function("unlink"),
            SENDMSG = RawLibc.function("sendmsg"), RECVMSG = RawLibc.function("recvmsg"),
            GETSOCKOPT = RawLibc.function("getsockopt"), SETSOCKOPT = RawLibc.function("setsockopt"), POLL = RawLibc.function("poll"),
            EPOLL_CREATE1 = RawLibc.function("epoll_create1"), EPOLL_CTL = RawLibc.function("epoll_ctl"),
            EPOLL_WAIT = RawLibc.function("epoll_wait"), TIMERFD_CREATE = RawLibc.function("timerfd_create"),
            TIMERFD_SETTIME = RawLibc.function("timerfd_settime"), GETPID = RawLibc.function("getpid"),
            PTHREAD_SIGMASK = RawLibc.function("pthread_sigmask"), SIGEMPTYSET = RawLibc.function("sigemptyset"),
            SIGADDSET = RawLibc.function("sigaddset"), SIGTIMEDWAIT = RawLibc.function("sigtimedwait"),
            SIGNAL = RawLibc.function("signal"), CURRENT_SIGRTMIN = RawLibc.function("__libc_current_sigrtmin"),
            ISATTY = RawLibc.function("isatty"), TCGETATTR = RawLibc.function("tcgetattr"),
            TCSETATTR = RawLibc.function("tcsetattr"), CFMAKERAW = RawLibc.function("cfmakeraw"),
            MMAP = RawLibc.function("mmap"), MEMFD_CREATE = RawLibc.function("memfd_create");

    LibC() {}

    public int open(String path, int flags, int mode) {
        long s = cString(path);
        try {
            return (int) invoke3(OPEN, s, flags, mode);
        } finally {
            RawLibc.free(s);
        }
    }

    public int close(int fd) {
        return (int) invoke1(CLOSE, fd);
    }

    public int ioctl(int fd, long request, long arg) {
        return (int) invoke3(IOCTL, fd, request, arg);
    }

    /** For ioctls that take a pointer to a struct laid out in native memory. */
    public int ioctl(int fd, long request, NativeMemory arg) {
        return (int) invoke3(IOCTL, fd, request, arg.address());
    }

    /** mmap(2): the address, or {@link #MAP_FAILED} with errno set. */
    public long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        return invoke6(MMAP, addr, length, prot, flags, fd, offset);
    }

    public int munmap(long addr, long length) {
        return (int) invoke2(MUNMAP, addr, length);
    }

    public int madvise(long addr, long length, int advice) {
        return (int) invoke3(MADVISE, addr, length, advice);
    }

    /** vec points at one byte per page of {@code [addr, addr+length)}; bit 0 set = resident. */
    public int mincore(long addr, long length, long vec) {
        return (int) invoke3(MINCORE, addr, length, vec);
    }

    /** Fills {@code buf} from the kernel's CSPRNG (the urandom source with flags 0). */
    public long getrandom(long buf, long len, int flags) {
        return invoke3(GETRANDOM, buf, len, flags);
    }

    public long read(int fd, long buf, long count) {
        return invoke3(READ, fd, buf, count);
    }

    public long write(int fd, long buf, long count) {
        return invoke3(WRITE, fd, buf, count);
    }

    /** Reads up to {@code count} bytes (at most {@code buf.length}) into {@code buf}. */
    public long read(int fd, byte[] buf, long count) {
        int len = (int) Math.min(count, buf.length);
        long tmp = RawLibc.allocate(Math.max(len, 1));
        try {
            long n = invoke3(READ, fd, tmp, len);
            if (n > 0) {
                RawLibc.memory().getByteArray(tmp, buf, 0, (int) n);
            }
            return n;
        } finally {
            RawLibc.free(tmp);
        }
    }

    /** Writes the first {@code count} bytes (at most {@code buf.length}) of {@code buf}. */
    public long write(int fd, byte[] buf, long count) {
        int len = (int) Math.min(count, buf.length);
        long tmp = RawLibc.allocate(Math.max(len, 1));
        try {
            RawLibc.memory().putByteArray(tmp, buf, 0, len);
            return invoke3(WRITE, fd, tmp, len);
        } finally {
            RawLibc.free(tmp);
        }
    }

    public long pread64(int fd, long buf, long count, long offset) {
        return invoke4(PREAD64, fd, buf, count, offset);
    }

    public long pwrite64(int fd, long buf, long count, long offset) {
        return invoke4(PWRITE64, fd, buf, count, offset);
    }

    /** iov points at an array of {@code struct iovec} in native memory. */
    public long preadv(int fd, long iov, int iovcnt, long offset) {
        return invoke4(PREADV, fd, iov, iovcnt, offset);
    }

    public long pwritev(int fd, long iov, int iovcnt, long offset) {
        return invoke4(PWRITEV, fd, iov, iovcnt, offset);
    }

    public long readv(int fd, long iov, int iovcnt) {
        return invoke3(READV, fd, iov, iovcnt);
    }

    public long writev(int fd, long iov, int iovcnt) {
        return invoke3(WRITEV, fd, iov, iovcnt);
    }

    public int fsync(int fd) {
        return (int) invoke1(FSYNC, fd);
    }

    /** memfd_create(2): an anonymous file (shareable memory: a vhost-user back-end maps guest RAM from it), or -1. */
    public int memfd_create(String name, int flags) {
        long s = cString(name);
        try {
            return (int) invoke2(MEMFD_CREATE, s, flags);
        } finally {
            RawLibc.free(s);
        }
    }

    public int ftruncate(int fd, long length) {
        return (int) invoke2(FTRUNCATE, fd, length);
    }

    public int fallocate(int fd, int mode, long offset, long len) {
        return (int) invoke4(FALLOCATE, fd, mode, offset, len);
    }

    public long lseek(int fd, long offset, int whence) {
        return invoke3(LSEEK, fd, offset, whence);
    }

    public int eventfd(int initval, int flags) {
        return (int) invoke2(EVENTFD, initval, flags);
    }

    public int socket(int domain, int type, int protocol) {
        return (int) invoke3(SOCKET, domain, type, protocol);
    }

    /** addr points at a {@link SockaddrUn}. */
    public int bind(int fd, long addr, int addrlen) {
        return (int) invoke3(BIND, fd, addr, addrlen);
    }

    public int listen(int fd, int backlog) {
        return (int) invoke2(LISTEN, fd, backlog);
    }

    public int accept4(int fd, long addr, long addrlen, int flags) {
        return (int) invoke4(ACCEPT4, fd, addr, addrlen, flags);
    }

    /** addr points at a {@link SockaddrUn}. */
    public int connect(int fd, long addr, int addrlen) {
        return (int) invoke3(CONNECT, fd, addr, addrlen);
    }

    public int shutdown(int fd, int how) {
        return (int) invoke2(SHUTDOWN, fd, how);
    }

    public long send(int fd, long buf, long len, int flags) {
        return invoke4(SEND, fd, buf, len, flags);
    }

    /** msg points at a {@link FdPassing} msghdr: one iovec and SCM_RIGHTS control data. */
    public long sendmsg(int fd, long msg, int flags) {
        return invoke3(SENDMSG, fd, msg, flags);
    }

    public long recvmsg(int fd, long msg, int flags) {
        return invoke3(RECVMSG, fd, msg, flags);
    }

    /** optval/optlen point at native memory (SO_PEERCRED: a {@link FdPassing} ucred). */
    public int getsockopt(int fd, int level, int optname, long optval, long optlen) {
        return (int) invoke5(GETSOCKOPT, fd, level, optname, optval, optlen);
    }

    /** optval points at {@code optlen} bytes of native memory (SO_SNDTIMEO: a {@link FdPassing} timeval). */
    public int setsockopt(int fd, int level, int optname, long optval, int optlen) {
        return (int) invoke5(SETSOCKOPT, fd, level, optname, optval, optlen);
    }

    /** fds points at {@code nfds} 8-byte {@code struct pollfd}s ({@link FdPassing#POLLFD_SIZE}). */
    public int poll(long fds, long nfds, int timeout) {
        return (int) invoke3(POLL, fds, nfds, timeout);
    }

    public int unlink(String path) {
        long s = cString(path);
        try {
            return (int) invoke1(UNLINK, s);
        } finally {
            RawLibc.free(s);
        }
    }

    public int epoll_create1(int flags) {
        return (int) invoke1(EPOLL_CREATE1, flags);
    }

    /** event points at a packed 12-byte {@code struct epoll_event}. */
    public int epoll_ctl(int epfd, int op, int fd, long event) {
        return (int) invoke4(EPOLL_CTL, epfd, op, fd, event);
    }

    public int epoll_wait(int epfd, long events, int maxevents, int timeout) {
        return (int) invoke4(EPOLL_WAIT, epfd, events, maxevents, timeout);
    }

    public int timerfd_create(int clockid, int flags) {
        return (int) invoke2(TIMERFD_CREATE, clockid, flags);
    }

    /** newValue/oldValue point at {@code struct itimerspec}; oldValue may be 0. */
    public int timerfd_settime(int fd, int flags, long newValue, long oldValue) {
        return (int) invoke4(TIMERFD_SETTIME, fd, flags, newValue, oldValue);
    }

    public int getpid() {
        return (int) invoke0(GETPID);
    }

    /** System calls of up to three arguments; the kernel's others are undefined, so only for calls that ignore them. */
    public long syscall(long number, long a0, long a1, long a2) {
        return RawLibc.syscall(number, a0, a1, a2, 0, 0);
    }

    /** System calls of up to five arguments (the kernel's sixth is undefined). */
    public long syscall(long number, long a0, long a1, long a2, long a3) {
        return RawLibc.syscall(number, a0, a1, a2, a3, 0);
    }

    /**
     * Six-argument system calls: seven C arguments, one more than jffi's allocation-free calls
     * take, so this one goes through {@link RawLibc#syscall6} (libffi, a small allocation per call).
     */
    public long syscall(long number, long a0, long a1, long a2, long a3, long a4, long a5) {
        return RawLibc.syscall6(number, a0, a1, a2, a3, a4, a5);
    }

    public int pthread_sigmask(int how, long set, long oldset) {
        return (int) invoke3(PTHREAD_SIGMASK, how, set, oldset);
    }

    public int sigemptyset(long set) {
        return (int) invoke1(SIGEMPTYSET, set);
    }

    public int sigaddset(long set, int signum) {
        return (int) invoke2(SIGADDSET, set, signum);
    }

    public int sigtimedwait(long set, long info, long timeout) {
        return (int) invoke3(SIGTIMEDWAIT, set, info, timeout);
    }

    /** Sets a signal's disposition; {@code handler} is SIG_DFL (0) or SIG_IGN (1). Returns the old one. */
    public long signal(int signum, long handler) {
        return invoke2(SIGNAL, signum, handler);
    }

    /** The first real-time signal glibc leaves to applications (it keeps 32 and 33 for itself). */
    public int __libc_current_sigrtmin() {
        return (int) invoke0(CURRENT_SIGRTMIN);
    }

    public int isatty(int fd) {
        return (int) invoke1(ISATTY, fd);
    }

    /** termios points at a {@link Termios#SIZE}-byte buffer. */
    public int tcgetattr(int fd, long termios) {
        return (int) invoke2(TCGETATTR, fd, termios);
    }

    public int tcsetattr(int fd, int optionalActions, long termios) {
        return (int) invoke3(TCSETATTR, fd, optionalActions, termios);
    }

    public void cfmakeraw(long termios) {
        invoke1(CFMAKERAW, termios);
    }

    /** The C library's text for {@code errnum}. */
    public String strerror(int errnum) {
        return RawLibc.strerror(errnum);
    }

    /** {@code s} as a malloc'd NUL-terminated UTF-8 string, which the caller frees; a NUL inside {@code s} is refused. */
    private static long cString(String s) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a C string cannot hold NUL: " + s.replace('\0', '?'));
        }
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        long address = RawLibc.allocate(bytes.length + 1L);
        RawLibc.memory().putByteArray(address, bytes, 0, bytes.length);
        return address;
    }
}
