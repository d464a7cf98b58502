package dev.ember.sys;

/** A failed system call: what we were doing and the errno the kernel returned. */
public class NativeException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public NativeException(String what, int errno) {
        super(what + ": " + Native.LIBC.strerror(errno) + " (errno " + errno + ")");
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
