package dev.ember.jailer;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * The system calls of the jailer, each failing with a {@link JailerException} that names the step
 * and the errno. libc through the sys module's {@link LibC} (the only part of Ember the jailer's code
 * uses: see docs/architecture.md); jnr-posix for what it already wraps.
 */
final class Sys {
    static final POSIX POSIX = POSIXFactory.getNativePOSIX();
    static final LibC LIBC = Native.LIBC;

    private Sys() {}

    static int check(int rc, String what) {
        if (rc < 0) {
            throw failure(what, Native.errno());
        }
        return rc;
    }

    static JailerException failure(String what, int errno) {
        return new JailerException(what + ": " + LIBC.strerror(errno) + " (errno " + errno + ")");
    }

    /** POSIX calls report errno through jnr-posix's own errno slot. */
    static int checkPosix(int rc, String what) {
        if (rc < 0) {
            throw failure(what, POSIX.errno());
        }
        return rc;
    }

    /** glibc's makedev: the 12+20 bit major/minor split of dev_t. */
    static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }
}
