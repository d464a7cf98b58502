package dev.ember.jailer;

import dev.ember.sys.RawLibc;

/**
 * The system calls of the jailer, through {@link RawLibc}: the jailer makes ~30 calls and then
 * becomes (or starts) the VMM, so binding libc with jnr-ffi (generated code, ~150 ms of CPU) and
 * jnr-posix (as much again) cost most of its start. Each returns what the kernel returned, -1 with
 * {@link RawLibc#errno()} set on failure; {@link #check} turns that into a {@link JailerException}
 * naming the step and the errno. Raw system calls act on the calling thread where the kernel
 * keeps the state per thread (credentials: see {@link Privileges}; the mount namespace and
 * working directory after unshare), as the glibc wrappers of these calls do.
 */
final class Sys {
    /** x86_64 system call numbers (asm/unistd_64.h; JailerConstantsTest checks them). */
    static final long SYS_CLOSE = 3, SYS_RT_SIGPROCMASK = 14, SYS_DUP2 = 33, SYS_EXECVE = 59, SYS_WAIT4 = 61, SYS_KILL = 62,
            SYS_GETPID = 39, SYS_CHDIR = 80, SYS_RMDIR = 84, SYS_CHMOD = 90, SYS_CHOWN = 92, SYS_UMASK = 95, SYS_SETSID = 112, SYS_MKNOD = 133,
            SYS_PIVOT_ROOT = 155, SYS_PRCTL = 157, SYS_SETRLIMIT = 160, SYS_CHROOT = 161, SYS_MOUNT = 165, SYS_UMOUNT2 = 166,
            SYS_OPENAT = 257, SYS_UNSHARE = 272, SYS_SETNS = 308, SYS_CLOSE_RANGE = 436;
    /** openat's "relative to the working directory" (fcntl.h). */
    static final int AT_FDCWD = -100;
    /** The kernel's sigset_t: 64 signals. */
    static final int KERNEL_SIGSET_BYTES = 8;
    /** signal.h: the hang-up signal, and the dispositions signal(3) sets and returns. */
    static final int SIGHUP = 1;
    static final long SIG_DFL = 0, SIG_IGN = 1;
    /** spawn.h: the child starts with the attribute's "sigdefault" signals at their default action. */
    static final int POSIX_SPAWN_SETSIGDEF = 0x04;
    /** glibc's opaque posix_spawnattr_t and sigset_t, passed by address only (JailerConstantsTest checks the sizes). */
    static final int SPAWNATTR_BYTES = 336, LIBC_SIGSET_BYTES = 128;

    /** Looked up with the host's file system in view (before pivot_root), as everything here. */
    private static final long POSIX_SPAWNP = RawLibc.function("posix_spawnp");
    private static final long POSIX_SPAWNATTR_INIT = RawLibc.function("posix_spawnattr_init");
    private static final long POSIX_SPAWNATTR_SETFLAGS = RawLibc.function("posix_spawnattr_setflags");
    private static final long POSIX_SPAWNATTR_SETSIGDEFAULT = RawLibc.function("posix_spawnattr_setsigdefault");
    private static final long POSIX_SPAWNATTR_DESTROY = RawLibc.function("posix_spawnattr_destroy");
    private static final long SIGEMPTYSET = RawLibc.function("sigemptyset");
    private static final long SIGADDSET = RawLibc.function("sigaddset");
    private static final long SIGNAL = RawLibc.function("signal");

    private Sys() {}

    static long syscall(long number, long a0, long a1, long a2) {
        return RawLibc.syscall(number, a0, a1, a2, 0, 0);
    }

    static long syscall(long number, long a0, long a1, long a2, long a3, long a4) {
        return RawLibc.syscall(number, a0, a1, a2, a3, a4);
    }

    static int check(long rc, String what) {
        if (rc < 0) {
            throw failure(what, RawLibc.errno());
        }
        return (int) rc;
    }

    static JailerException failure(String what, int errno) {
        return new JailerException(what + ": " + RawLibc.strerror(errno) + " (errno " + errno + ")");
    }

    static int errno() {
        return RawLibc.errno();
    }

    /** A system call whose first argument is a path. */
    static long pathCall(long number, String path, long a1, long a2) {
        try (RawLibc.Scope s = new RawLibc.Scope()) {
            return syscall(number, s.string(path), a1, a2);
        }
    }

    static long open(String path, int flags) {
        try (RawLibc.Scope s = new RawLibc.Scope()) {
            return syscall(SYS_OPENAT, AT_FDCWD, s.string(path), flags, 0, 0);
        }
    }

    /** This process's PID (as ProcessHandle.current().pid(), without its process-reaper set-up). */
    static long getpid() {
        return syscall(SYS_GETPID, 0, 0, 0);
    }

    static long close(int fd) {
        return syscall(SYS_CLOSE, fd, 0, 0);
    }

    static long chmod(String path, int mode) {
        return pathCall(SYS_CHMOD, path, mode, 0);
    }

    static long chown(String path, int uid, int gid) {
        return pathCall(SYS_CHOWN, path, uid, gid);
    }

    /** mknod(2) takes the kernel's 32-bit dev_t, which {@link #makedev} matches below major 4096 and minor 2^20. */
    static long mknod(String path, int mode, long dev) {
        if ((dev & 0xffff_ffffL) != dev) {
            throw new JailerException("mknod " + path + ": device number " + dev + " does not fit the kernel's 32-bit dev_t");
        }
        return pathCall(SYS_MKNOD, path, mode, dev);
    }

    static long mount(String source, String target, long flags) {
        try (RawLibc.Scope s = new RawLibc.Scope()) {
            return syscall(SYS_MOUNT, s.string(source), s.string(target), 0, flags, 0);
        }
    }

    static long umount2(String target, int flags) {
        return pathCall(SYS_UMOUNT2, target, flags, 0);
    }

    static long pivotRoot(String newRoot, String putOld) {
        try (RawLibc.Scope s = new RawLibc.Scope()) {
            return syscall(SYS_PIVOT_ROOT, s.string(newRoot), s.string(putOld), 0);
        }
    }

    /** setrlimit(2) with soft = hard = {@code value}. */
    static long setrlimit(int resource, long value) {
        try (RawLibc.Scope s = new RawLibc.Scope()) {
            long rlimit = s.allocate(16);   // struct rlimit { rlim_t cur, max; }
            RawLibc.memory().putLong(rlimit, value);
            RawLibc.memory().putLong(rlimit + 8, value);
            return syscall(SYS_SETRLIMIT, resource, rlimit, 0);
        }
    }

    /** Unblocks every signal on this thread (rt_sigprocmask(SIG_SETMASK, {}, NULL)). */
    static long clearSignalMask() {
        try (RawLibc.Scope s = new RawLibc.Scope()) {
            return syscall(SYS_RT_SIGPROCMASK, 2 /* SIG_SETMASK */, s.allocate(KERNEL_SIGSET_BYTES), 0, KERNEL_SIGSET_BYTES, 0);
        }
    }

    /** execve(2): returns only when it failed. */
    static long execve(String path, String[] argv, String[] env) {
        try (RawLibc.Scope s = new RawLibc.Scope()) {
            return syscall(SYS_EXECVE, s.string(path), s.strings(argv), s.strings(env));
        }
    }

    /**
     * Puts SIGHUP back to its default action for this process: only for a process about to exec
     * and only while SIGHUP is ignored, so that no handler of the JVM's is replaced.
     */
    static void defaultHangup() {
        RawLibc.call(SIGNAL, SIGHUP, SIG_DFL, 0, 0, 0, 0);
    }

    /**
     * posix_spawnp(3) with no file actions: the child's PID; throws naming {@code what} when it
     * failed. With {@code defaultHangup} the child starts with SIGHUP at its default action
     * whatever this process's is (POSIX_SPAWN_SETSIGDEF), this process keeping its own.
     */
    static long posixSpawnp(String file, String[] argv, String[] env, boolean defaultHangup, String what) {
        try (RawLibc.Scope s = new RawLibc.Scope()) {
            long pid = s.allocate(4);
            long attr = 0;
            if (defaultHangup) {
                attr = s.allocate(SPAWNATTR_BYTES);
                long hangup = s.allocate(LIBC_SIGSET_BYTES);
                // Each returns an error number; none can fail with these arguments but init (ENOMEM).
                spawnStep(RawLibc.call(POSIX_SPAWNATTR_INIT, attr, 0, 0, 0, 0, 0), what);
                RawLibc.call(SIGEMPTYSET, hangup, 0, 0, 0, 0, 0);
                RawLibc.call(SIGADDSET, hangup, SIGHUP, 0, 0, 0, 0);
                spawnStep(RawLibc.call(POSIX_SPAWNATTR_SETSIGDEFAULT, attr, hangup, 0, 0, 0, 0), what);
                spawnStep(RawLibc.call(POSIX_SPAWNATTR_SETFLAGS, attr, POSIX_SPAWN_SETSIGDEF, 0, 0, 0, 0), what);
            }
            try {
                // Returns an error number itself rather than setting errno.
                spawnStep(RawLibc.call(POSIX_SPAWNP, pid, s.string(file), 0, attr, s.strings(argv), s.strings(env)), what);
            } finally {
                if (attr != 0) {
                    RawLibc.call(POSIX_SPAWNATTR_DESTROY, attr, 0, 0, 0, 0, 0);
                }
            }
            return RawLibc.memory().getInt(pid);
        }
    }

    private static void spawnStep(long error, String what) {
        if ((int) error != 0) {
            throw failure(what, (int) error);
        }
    }

    /** waitpid(pid, &status, 0): the status, or -1 with errno (EINTR: call again). */
    static long waitpid(long pid) {
        try (RawLibc.Scope s = new RawLibc.Scope()) {
            long status = s.allocate(4);
            long rc = syscall(SYS_WAIT4, pid, status, 0, 0, 0);
            return rc < 0 ? rc : RawLibc.memory().getInt(status) & 0xffffffffL;
        }
    }

    /** glibc's makedev: the 12+20 bit major/minor split of dev_t. */
    static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }
}
