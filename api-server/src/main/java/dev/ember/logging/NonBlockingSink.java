package dev.ember.logging;

import dev.ember.metrics.Counter;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.nio.charset.StandardCharsets;

/**
 * A file or FIFO written with O_NONBLOCK, so a reader that stops reading never stalls the VMM:
 * whatever does not fit is dropped and counted (Firecracker's missed_*_count behaviour).
 * FIFOs are opened read-write so that opening does not wait for, or fail without, a reader.
 */
final class NonBlockingSink implements AutoCloseable {
    private final String path;
    private final Counter missed;
    private int fd;

    private NonBlockingSink(String path, int fd, Counter missed) {
        this.path = path;
        this.fd = fd;
        this.missed = missed;
    }

    /** Opens (creating a regular file if needed, mode 0600) or throws with errno's text. */
    static NonBlockingSink open(String path, Counter missed) throws SinkException {
        int flags = LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC | LibC.O_CREAT | O_APPEND;
        int fd = Native.LIBC.open(path, flags, 0600);
        if (fd < 0) {
            int errno = Native.errno();
            throw new SinkException("cannot open " + path + ": " + Native.LIBC.strerror(errno));
        }
        return new NonBlockingSink(path, fd, missed);
    }

    /** O_APPEND from fcntl.h: regular files are appended to, never truncated. */
    private static final int O_APPEND = 02000;

    String path() {
        return path;
    }

    /** Writes one record; returns false (and counts it) when it could not be written whole. */
    synchronized boolean write(String line) {
        if (fd < 0) {
            return false;
        }
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        long n = Native.LIBC.write(fd, bytes, bytes.length);
        if (n != bytes.length) {
            missed.inc();
            return false;
        }
        return true;
    }

    @Override
    public synchronized void close() {
        if (fd >= 0) {
            Native.LIBC.close(fd);
            fd = -1;
        }
    }

    /** The path cannot be opened for writing. */
    static final class SinkException extends Exception {
        SinkException(String message) {
            super(message);
        }
    }
}
