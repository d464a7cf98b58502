package dev.ember.sys;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/** Process-wide handle to libc and small helpers around errno. */
public final class Native {
    public static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    public static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    /** x86_64 system call numbers used directly (no glibc wrapper, or one we avoid). */
    public static final long SYS_GETTID = 186, SYS_TGKILL = 234, SYS_SECCOMP = 317, SYS_PRCTL = 157, SYS_MMAP = 9;

    private Native() {}

    /** Binds {@link #LIBC} now (class initialisation does it) rather than at its first use. */
    public static void bind() {
        // Nothing more: calling a static method initialises the class.
    }

    public static int errno() {
        return RUNTIME.getLastError();
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

    /** Zero-filled native memory that lives as long as the returned pointer is reachable. */
    public static Pointer allocate(int size) {
        return Memory.allocateDirect(RUNTIME, size, true);
    }

    /**
     * mmap(2) through {@code syscall}: jnr-ffi drops the sixth argument of six-argument calls
     * (see {@link LibC#mmap}), so the offset would be garbage. Returns the address, or
     * {@link LibC#MAP_FAILED} with errno set.
     */
    public static long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        return LIBC.syscall(SYS_MMAP, addr, length, prot, flags, fd, offset);
    }

    public static int gettid() {
        return (int) LIBC.syscall(SYS_GETTID, 0, 0, 0);
    }
}
