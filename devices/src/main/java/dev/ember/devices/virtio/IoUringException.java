package dev.ember.devices.virtio;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;

/** An io_uring system call failed; {@link #errno()} says why. */
final class IoUringException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    IoUringException(String call, int errno) {
        super(call + " failed: " + Native.LIBC.strerror(errno));
        this.errno = errno;
    }

    int errno() {
        return errno;
    }

    /** True when the host has no usable io_uring at all (not built in, or switched off). */
    boolean unavailable() {
        return errno == LibC.ENOSYS || errno == LibC.EPERM || errno == LibC.EACCES;
    }
}
