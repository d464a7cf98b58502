package dev.ember.devices.virtio.pmem;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.nio.file.Path;

/**
 * The host file behind a virtio-pmem device, mapped {@code MAP_SHARED} so the guest's stores
 * land in the page cache of the file itself ({@code PROT_READ} only when read-only).
 *
 * <p>The guest region must be a multiple of {@link #ALIGNMENT} (virtio-pmem's 2 MiB); a file of
 * another size is mapped over a private anonymous reservation of the rounded-up length, as
 * Firecracker does: the guest sees zeroes past the end of the file, and what it writes there
 * is never written to the file. {@link #flush} is fsync(2) of the file: everything the guest
 * stored through the mapping before the call is on the file's storage when it returns 0.
 */
public final class PmemBackingFile implements AutoCloseable {
    /** virtio-pmem regions start and end on 2 MiB boundaries. */
    public static final long ALIGNMENT = 2L << 20;
    private static final int SEEK_END = 2;

    private final Path path;
    private final boolean readOnly;
    private final long fileSize;
    private final long mappedSize;
    private int fd;
    private long host;

    private PmemBackingFile(Path path, boolean readOnly, int fd, long fileSize, long mappedSize, long host) {
        this.path = path;
        this.readOnly = readOnly;
        this.fd = fd;
        this.fileSize = fileSize;
        this.mappedSize = mappedSize;
        this.host = host;
    }

    /** Opens and maps {@code path}, read-write unless {@code readOnly}. */
    public static PmemBackingFile open(Path path, boolean readOnly) throws PmemException {
        int fd = Native.LIBC.open(path.toString(), (readOnly ? LibC.O_RDONLY : LibC.O_RDWR) | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            throw new PmemException(PmemException.Reason.OPEN, "Error accessing backing file: " + path + ": "
                    + Native.LIBC.strerror(Native.errno()));
        }
        try {
            long size = Native.LIBC.lseek(fd, 0, SEEK_END);
            if (size < 0) {
                throw new PmemException(PmemException.Reason.OPEN, "Error accessing backing file: " + path + ": cannot find its size: "
                        + Native.LIBC.strerror(Native.errno()));
            }
            if (size == 0) {
                throw new PmemException(PmemException.Reason.EMPTY, "Error backing file size is 0 (" + path
                        + "; give a file with the bytes the guest should see)");
            }
            long mapped = (size + ALIGNMENT - 1) & -ALIGNMENT;
            return new PmemBackingFile(path, readOnly, fd, size, mapped, map(fd, size, mapped, readOnly, path));
        } catch (RuntimeException e) {
            Native.LIBC.close(fd);
            throw e;
        }
    }

    private static long map(int fd, long size, long mapped, boolean readOnly, Path path) throws PmemException {
        int prot = readOnly ? LibC.PROT_READ : LibC.PROT_READ | LibC.PROT_WRITE;
        if (mapped == size) {
            long host = Native.mmap(0, size, prot, LibC.MAP_SHARED, fd, 0);
            if (host == LibC.MAP_FAILED) {
                throw mapFailed(path, size);
            }
            return host;
        }
        long reservation = Native.mmap(0, mapped, prot, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
        if (reservation == LibC.MAP_FAILED) {
            throw mapFailed(path, mapped);
        }
        long host = Native.mmap(reservation, size, prot, LibC.MAP_SHARED | LibC.MAP_FIXED, fd, 0);
        if (host == LibC.MAP_FAILED) {
            PmemException e = mapFailed(path, size);
            Native.LIBC.munmap(reservation, mapped);
            throw e;
        }
        return reservation;
    }

    private static PmemException mapFailed(Path path, long bytes) {
        return new PmemException(PmemException.Reason.MAP, "Error accessing backing file: " + path + ": cannot map " + bytes + " bytes: "
                + Native.LIBC.strerror(Native.errno()));
    }

    public Path path() {
        return path;
    }

    public boolean readOnly() {
        return readOnly;
    }

    /** Bytes of the file when it was opened. */
    public long fileSize() {
        return fileSize;
    }

    /** The guest region's size: the file size rounded up to {@link #ALIGNMENT}. */
    public long mappedSize() {
        return mappedSize;
    }

    /** Host address of the mapping (of {@link #mappedSize} bytes). */
    public long hostAddress() {
        return host;
    }

    /**
     * fsync(2): the guest's stores through the mapping reach the file's storage. Returns 0, or
     * the errno. Allocates nothing.
     */
    public int flush() {
        if (Native.LIBC.fsync(fd) == 0) {
            return 0;
        }
        return Native.errno();
    }

    /** Unmaps and closes; the guest must no longer reach the mapping (its KVM slot removed). */
    @Override
    public void close() {
        if (host != 0) {
            Native.LIBC.munmap(host, mappedSize);
            host = 0;
        }
        if (fd >= 0) {
            Native.LIBC.close(fd);
            fd = -1;
        }
    }
}
