package dev.ember.logging;

import dev.ember.metrics.Counter;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.nio.charset.StandardCharsets;
import dev.ember.sys.NativeMemory;

/**
 * A file or FIFO written with O_NONBLOCK, so a reader that stops reading never stalls the VMM:
 * whatever does not fit is dropped and counted (Firecracker's missed_*_count behaviour).
 * FIFOs are opened read-write so that opening does not wait for, or fail without, a reader.
 */
final class NonBlockingSink implements AutoCloseable {
    private static final long SYS_FCNTL = 72;
    private static final int F_GETPIPE_SZ = 1032;
    private static final long FIONREAD = 0x541B;
    /** Writes of at most this many bytes to a pipe are atomic: all or nothing. */
    private static final int PIPE_BUF = 4096;

    private final String path;
    private final Counter missed;
    /**
     * For a FIFO whose records must arrive whole (metrics lines, ~6 KiB, past PIPE_BUF): its
     * capacity in bytes; 0 otherwise. A longer write into a nearly full pipe is cut short by the
     * kernel, and the reader would get half a JSON object glued to the next one.
     */
    private final int wholeRecordCapacity;
    private final NativeMemory queued = Native.allocate(4);
    private int fd;

    private NonBlockingSink(String path, int fd, Counter missed, int wholeRecordCapacity) {
        this.path = path;
        this.fd = fd;
        this.missed = missed;
        this.wholeRecordCapacity = wholeRecordCapacity;
    }

    /** Opens (creating a regular file if needed, mode 0600) or throws with errno's text. */
    static NonBlockingSink open(String path, Counter missed) throws SinkException {
        return new NonBlockingSink(path, openFd(path), missed, 0);
    }

    /**
     * As {@link #open}, for records longer than PIPE_BUF that must never arrive torn: on a FIFO, a
     * record that does not fit in the room left is dropped whole (and counted) instead. The
     * check is an ioctl, so the writing threads must be allowed FIONREAD (the vmm filter's are).
     */
    static NonBlockingSink openForWholeRecords(String path, Counter missed) throws SinkException {
        int fd = openFd(path);
        long capacity = Native.LIBC.syscall(SYS_FCNTL, fd, F_GETPIPE_SZ, 0); // fails (EBADF) for a regular file
        return new NonBlockingSink(path, fd, missed, capacity > 0 ? (int) capacity : 0);
    }

    private static int openFd(String path) throws SinkException {
        int flags = LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC | LibC.O_CREAT | O_APPEND;
        int fd = Native.LIBC.open(path, flags, 0600);
        if (fd < 0) {
            int errno = Native.errno();
            throw new SinkException("cannot open " + path + ": " + Native.LIBC.strerror(errno));
        }
        return fd;
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
        if (wholeRecordCapacity > 0 && bytes.length > PIPE_BUF
                && (Native.LIBC.ioctl(fd, FIONREAD, queued) != 0 || wholeRecordCapacity - queued.getInt(0) < bytes.length)) {
            missed.inc(); // no room for all of it: nothing is written
            return false;
        }
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
