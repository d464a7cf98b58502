package dev.ember.snapshot;

import dev.ember.memory.GuestMemory;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.NativeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.ember.sys.NativeMemory;

/**
 * Writes a snapshot's memory file (the layout {@link GuestMemory#mapFile} reads), always through
 * {@link AtomicFile}: a Full file holds every non-zero page; a Diff starts from the existing file
 * at the same path (the previous snapshot's memory) and replaces only the pages written since.
 */
public final class MemoryFile {
    private static final int SEEK_DATA = 3, SEEK_HOLE = 4, ENXIO = 6;
    private static final int COPY_CHUNK = 1 << 20;

    private MemoryFile() {}

    public static void writeFull(Path path, GuestMemory memory) {
        AtomicFile.write(path, memory::dumpTo);
    }

    /**
     * A Diff: the result is the previous memory file with {@code dirty} pages replaced, so it
     * loads on its own. The previous file is copied extent by extent (holes stay holes) into the
     * temporary file, which then replaces it atomically; a VM still mapping the old file keeps
     * its own copy (the old inode lives on until unmapped). Without a previous file the result
     * holds only the dirty pages, as Firecracker's diff files do (merge it onto its base). A
     * hotpluggable range (not dirty-tracked) is written whole, as in a Full file.
     *
     * @throws SnapshotIoException the previous file has another size, or an I/O step fails
     */
    public static void writeDiff(Path path, GuestMemory memory, long[][] dirty) {
        long size = memory.fileSize();
        boolean hasBase = Files.exists(path);
        if (hasBase) {
            long baseSize;
            try {
                baseSize = Files.size(path);
            } catch (IOException e) {
                throw new SnapshotIoException(path + ": cannot read the previous memory file: " + e.getMessage(), e);
            }
            if (baseSize != size) {
                throw new SnapshotIoException(path + " is " + baseSize + " bytes but this VM has " + size + " bytes of memory;"
                        + " a Diff snapshot updates the memory file of this VM's previous snapshot (give that mem_file_path)");
            }
        }
        AtomicFile.write(path, fd -> {
            if (Native.LIBC.ftruncate(fd, size) < 0) {
                throw new NativeException("ftruncate " + path, Native.errno());
            }
            if (hasBase) {
                copyDataExtents(path, fd, size);
            }
            memory.writePagesTo(fd, dirty);
            memory.rewriteHotplugTo(fd);
        });
    }

    private static void copyDataExtents(Path base, int out, long size) {
        int in = Native.LIBC.open(base.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        if (in < 0) {
            throw new SnapshotIoException(base + ": cannot open the previous memory file: " + Native.LIBC.strerror(Native.errno()));
        }
        try {
            NativeMemory buf = Native.allocate(COPY_CHUNK);
            long off = 0;
            while (off < size) {
                long data = Native.LIBC.lseek(in, off, SEEK_DATA);
                if (data < 0) {
                    if (Native.errno() == ENXIO) {
                        break; // only a hole remains
                    }
                    throw new NativeException("lseek SEEK_DATA " + base, Native.errno());
                }
                long hole = Native.LIBC.lseek(in, data, SEEK_HOLE);
                if (hole < 0) {
                    throw new NativeException("lseek SEEK_HOLE " + base, Native.errno());
                }
                for (long pos = data; pos < hole; ) {
                    long n = Native.LIBC.pread64(in, buf.address(), Math.min(COPY_CHUNK, hole - pos), pos);
                    if (n < 0 && Native.errno() == LibC.EINTR) {
                        continue;
                    }
                    if (n <= 0) {
                        throw new NativeException("read " + base + " at " + pos, n < 0 ? Native.errno() : LibC.EINVAL);
                    }
                    for (long done = 0; done < n; ) {
                        long w = Native.LIBC.pwrite64(out, buf.address() + done, n - done, pos + done);
                        if (w < 0) {
                            if (Native.errno() == LibC.EINTR) {
                                continue;
                            }
                            throw new NativeException("write the new memory file at " + (pos + done), Native.errno());
                        }
                        done += w;
                    }
                    pos += n;
                }
                off = hole;
            }
        } finally {
            Native.LIBC.close(in);
        }
    }
}
