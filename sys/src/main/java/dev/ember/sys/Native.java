package dev.ember.sys;

/** Process-wide handle to libc and small helpers around errno. */
public final class Native {
    public static final LibC LIBC = new LibC();

    /** x86_64 system call numbers used directly (no glibc wrapper, or one we avoid). */
    public static final long SYS_GETTID = 186, SYS_TGKILL = 234, SYS_SECCOMP = 317, SYS_PRCTL = 157, SYS_MMAP = 9;

    private Native() {}

    /** errno of the last failed libc call on this thread. */
    public static int errno() {
        return RawLibc.errno();
    }

    /** Throws a {@link NativeException} naming {@code what} when {@code rc} is negative. */
    public static int check(int rc, String what) {
        if (rc < 0) {
            throw new NativeException(what, errno());
        }
        return rc;
    }

    public static long check(long rc, String what) {
        if (rc < 0) {
            throw new NativeException(what, errno());
        }
        return rc;
    }

    /** Zero-filled native memory that lives as long as the returned object is reachable. */
    public static NativeMemory allocate(int size) {
        return NativeMemory.allocate(size);
    }

    /** mmap(2): the address, or {@link LibC#MAP_FAILED} with errno set. */
    public static long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        return LIBC.mmap(addr, length, prot, flags, fd, offset);
    }

    public static int gettid() {
        return (int) LIBC.syscall(SYS_GETTID, 0, 0, 0);
    }
}
