package dev.ember.snapshot;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.NativeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes a file so that a crash leaves either the old file or the complete new one, never a
 * half-written one: the content goes to a temporary file in the same directory, which is
 * fsync'd, renamed over the target (rename(2) is atomic within a file system), and then the
 * directory is fsync'd so the rename itself is durable.
 */
public final class AtomicFile {
    private static final AtomicLong SEQUENCE = new AtomicLong();

    /** Fills the temporary file through its descriptor (pwrite, ftruncate, ...). */
    @FunctionalInterface
    public interface Content {
        void writeTo(int fd);
    }

    private AtomicFile() {}

    /** Writes {@code data} to {@code target} atomically. */
    public static void write(Path target, byte[] data) {
        write(target, fd -> writeFully(fd, data, target));
    }

    /**
     * Creates a temporary sibling of {@code target}, lets {@code content} fill it, and renames it
     * over {@code target}. On any failure the temporary file is removed and {@code target} is
     * untouched.
     *
     * @throws SnapshotIoException naming the file and the failing step
     */
    public static void write(Path target, Content content) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = dir.resolve("." + abs.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet());
        int fd = Native.LIBC.open(tmp.toString(), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL | LibC.O_CLOEXEC, 0600);
        if (fd < 0) {
            throw new SnapshotIoException(target + ": cannot create a temporary file in " + dir + ": "
                    + Native.LIBC.strerror(Native.errno()) + " (the directory must exist and be writable)");
        }
        boolean renamed = false;
        try {
            try {
                content.writeTo(fd);
                if (Native.LIBC.fsync(fd) < 0) {
                    throw new SnapshotIoException(target + ": fsync failed: " + Native.LIBC.strerror(Native.errno()));
                }
            } catch (NativeException e) {
                throw new SnapshotIoException(target + ": " + e.getMessage(), e);
            } finally {
                Native.LIBC.close(fd);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                renamed = true;
            } catch (IOException e) {
                throw new SnapshotIoException(target + ": cannot rename the temporary file into place: " + e.getMessage(), e);
            }
            fsyncDirectory(dir, target);
        } finally {
            if (!renamed) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the failure being reported matters more than the leftover
                }
            }
        }
    }

    private static void fsyncDirectory(Path dir, Path target) {
        int dfd = Native.LIBC.open(dir.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        if (dfd < 0) {
            throw new SnapshotIoException(target + ": cannot open directory " + dir + " to make the rename durable: "
                    + Native.LIBC.strerror(Native.errno()));
        }
        try {
            if (Native.LIBC.fsync(dfd) < 0) {
                throw new SnapshotIoException(target + ": fsync of directory " + dir + " failed: " + Native.LIBC.strerror(Native.errno()));
            }
        } finally {
            Native.LIBC.close(dfd);
        }
    }

    private static void writeFully(int fd, byte[] data, Path target) {
        long done = 0;
        while (done < data.length) {
            byte[] chunk = done == 0 ? data : java.util.Arrays.copyOfRange(data, (int) done, data.length);
            long n = Native.LIBC.write(fd, chunk, chunk.length);
            if (n < 0) {
                if (Native.errno() == LibC.EINTR) {
                    continue;
                }
                throw new SnapshotIoException(target + ": write failed: " + Native.LIBC.strerror(Native.errno()));
            }
            done += n;
        }
    }
}
