package dev.ember.sys;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc calls Ember makes, bound once through jnr-ffi. Every call saves errno so that
 * {@link Native#errno()} is valid right after a failing call on the same thread.
 *
 * <p>Long-valued addresses (not {@link Pointer}) are used on the hot paths so that a call
 * allocates nothing: guest memory and the kvm_run page are addressed by raw host addresses.
 */
@SaveError
public interface LibC {
    int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0100, O_EXCL = 0200, O_TRUNC = 01000, O_APPEND = 02000, O_NONBLOCK = 04000,
            O_CLOEXEC = 02000000, O_DIRECT = 040000, O_SYNC = 04010000;

    int PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
    int MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20,
            MAP_NORESERVE = 0x4000, MAP_POPULATE = 0x8000, MAP_HUGETLB = 0x40000;
    /** MAP_HUGETLB page size: log2(size) in bits 26..31 (MAP_HUGE_SHIFT); 21 = 2 MiB. */
    int MAP_HUGE_2MB = 21 << 26;
    long MAP_FAILED = -1L;
    int MADV_DONTNEED = 4, MADV_REMOVE = 9, MADV_HUGEPAGE = 14, MADV_DONTDUMP = 16;

    int EFD_CLOEXEC = 02000000, EFD_NONBLOCK = 04000, EFD_SEMAPHORE = 1;

    int EPOLL_CLOEXEC = 02000000;
    int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
    int EPOLLIN = 0x001, EPOLLOUT = 0x004, EPOLLERR = 0x008, EPOLLHUP = 0x010, EPOLLET = 1 << 31;

    int CLOCK_MONOTONIC = 1;
    int TFD_CLOEXEC = 02000000, TFD_NONBLOCK = 04000;

    int EINTR = 4, EAGAIN = 11, ENOENT = 2, EEXIST = 17, EINVAL = 22, EBUSY = 16, EFAULT = 14,
            ENOSPC = 28, EPERM = 1, EACCES = 13, ENOSYS = 38, EPIPE = 32, ECONNRESET = 104, ECONNREFUSED = 111,
            EADDRINUSE = 98, EINPROGRESS = 115, ENXIO = 6, ESRCH = 3;

    int SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
    long SIG_DFL = 0, SIG_IGN = 1;
    /** sizeof(sigset_t) in glibc (1024 bits); the kernel's own sigset is the first 8 bytes. */
    int GLIBC_SIGSET_BYTES = 128;

    int open(String path, int flags, int mode);
    int close(int fd);

    int ioctl(int fd, long request, long arg);
    /** For ioctls that take a pointer to a struct we lay out in native memory. */
    int ioctl(int fd, long request, Pointer arg);

    /**
     * @deprecated jnr-ffi 2.2.17 (jffi 1.3.13) passes garbage as the sixth argument of any
     * six-argument call, so this mmap gets a random offset (EINVAL, or a wrong mapping). Use
     * {@link Native#mmap}, which goes through the seven-argument {@code syscall}.
     */
    @Deprecated
    long mmap(long addr, @size_t long length, int prot, int flags, int fd, long offset);
    int munmap(long addr, @size_t long length);
    int madvise(long addr, @size_t long length, int advice);
    /** vec points at one byte per page of {@code [addr, addr+length)}; bit 0 set = resident. */
    int mincore(long addr, @size_t long length, long vec);

    /** getrandom(2) flag: fail with EAGAIN instead of blocking before the pool is initialised. */
    int GRND_NONBLOCK = 1;
    /** Fills {@code buf} from the kernel's CSPRNG (the urandom source with flags 0). */
    @ssize_t long getrandom(long buf, @size_t long len, int flags);

    @ssize_t long read(int fd, long buf, @size_t long count);
    @ssize_t long write(int fd, long buf, @size_t long count);
    @ssize_t long read(int fd, @Out byte[] buf, @size_t long count);
    @ssize_t long write(int fd, @In byte[] buf, @size_t long count);
    @ssize_t long pread64(int fd, long buf, @size_t long count, long offset);
    @ssize_t long pwrite64(int fd, long buf, @size_t long count, long offset);
    /** iov points at an array of {@code struct iovec} in native memory. */
    @ssize_t long preadv(int fd, long iov, int iovcnt, long offset);
    @ssize_t long pwritev(int fd, long iov, int iovcnt, long offset);
    @ssize_t long readv(int fd, long iov, int iovcnt);
    @ssize_t long writev(int fd, long iov, int iovcnt);
    int fsync(int fd);
    int fdatasync(int fd);
    int ftruncate(int fd, long length);
    int fallocate(int fd, int mode, long offset, long len);
    long lseek(int fd, long offset, int whence);

    int eventfd(int initval, int flags);

    // Unix domain stream sockets (the vsock device's host side). <sys/socket.h>
    int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_NONBLOCK = 04000, SOCK_CLOEXEC = 02000000;
    int SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2;
    /** send(2) flag: a write to a closed peer fails with EPIPE instead of raising SIGPIPE. */
    int MSG_NOSIGNAL = 0x4000;

    int socket(int domain, int type, int protocol);
    /** addr points at a {@link SockaddrUn}. */
    int bind(int fd, long addr, int addrlen);
    int listen(int fd, int backlog);
    int accept4(int fd, long addr, long addrlen, int flags);
    /** addr points at a {@link SockaddrUn}. */
    int connect(int fd, long addr, int addrlen);
    int shutdown(int fd, int how);
    @ssize_t long send(int fd, long buf, @size_t long len, int flags);
    int unlink(String path);
    /** msg points at a {@link FdPassing} msghdr: one iovec and SCM_RIGHTS control data. */
    @ssize_t long sendmsg(int fd, long msg, int flags);
    @ssize_t long recvmsg(int fd, long msg, int flags);
    /** optval/optlen point at native memory (SO_PEERCRED: a {@link FdPassing} ucred). */
    int getsockopt(int fd, int level, int optname, long optval, long optlen);
    /** fds points at {@code nfds} 8-byte {@code struct pollfd}s ({@link FdPassing#POLLFD_SIZE}). */
    int poll(long fds, long nfds, int timeout);

    int epoll_create1(int flags);
    /** event points at a packed 12-byte {@code struct epoll_event}. */
    int epoll_ctl(int epfd, int op, int fd, long event);
    int epoll_wait(int epfd, long events, int maxevents, int timeout);

    int timerfd_create(int clockid, int flags);
    /** newValue/oldValue point at {@code struct itimerspec}; oldValue may be 0. */
    int timerfd_settime(int fd, int flags, long newValue, long oldValue);

    int getpid();
    long syscall(long number, long a0, long a1, long a2);
    /**
     * Four-argument system calls (5 C arguments): jnr's allocation-free fast path (the
     * seven-argument form allocates its argument array on every call). The kernel's fifth and
     * sixth arguments are then undefined, so only for calls that ignore them.
     */
    long syscall(long number, long a0, long a1, long a2, long a3);
    /** Six-argument system calls (7 C arguments: jnr passes these right, unlike 6-argument calls). */
    long syscall(long number, long a0, long a1, long a2, long a3, long a4, long a5);
    int pthread_sigmask(int how, long set, long oldset);
    int sigemptyset(long set);
    int sigaddset(long set, int signum);
    int sigtimedwait(long set, long info, long timeout);
    /** Sets a signal's disposition; {@code handler} is SIG_DFL (0) or SIG_IGN (1). Returns the old one. */
    long signal(int signum, long handler);
    /** The first real-time signal glibc leaves to applications (it keeps 32 and 33 for itself). */
    int __libc_current_sigrtmin();

    int isatty(int fd);
    /** termios points at a {@link Termios#SIZE}-byte buffer. */
    int tcgetattr(int fd, long termios);
    int tcsetattr(int fd, int optionalActions, long termios);
    void cfmakeraw(long termios);

    String strerror(int errnum);

    // Process hardening (seccomp, jailer).
    int PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39, PR_GET_SECCOMP = 21;

    int prctl(int option, long arg2, long arg3, long arg4, long arg5);

    // Namespaces, mounts and identity (the jailer). <sched.h>, <sys/mount.h>, <linux/close_range.h>
    int CLONE_NEWNS = 0x00020000, CLONE_NEWNET = 0x40000000, CLONE_NEWPID = 0x20000000;
    long MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_REMOUNT = 32, MS_BIND = 4096, MS_REC = 16384,
            MS_SLAVE = 1 << 19;
    int MNT_DETACH = 2;
    int S_IFCHR = 0020000;
    int CLOSE_RANGE_CLOEXEC = 1 << 2;
    long SYS_PIVOT_ROOT = 155, SYS_CLOSE_RANGE = 436;

    int mount(String source, String target, String fstype, long flags, Pointer data);
    int umount2(String target, int flags);
    /** Acts on the calling thread only (its namespaces and fs_struct), not the whole process. */
    int unshare(int flags);
    int setns(int fd, int nstype);
    int chroot(String path);
    int mknod(String path, int mode, long dev);
    /** pivot_root(2) has no glibc wrapper: syscall(SYS_PIVOT_ROOT, new_root, put_old). */
    long syscall(long number, String a0, String a1);
}
