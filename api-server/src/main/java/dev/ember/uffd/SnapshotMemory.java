package dev.ember.uffd;

import com.kenai.jffi.MemoryIO;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.util.BitSet;

/**
 * A snapshot's memory file as the page-fault handler serves it: mapped read-only and private,
 * with the pages that hold data known up front ({@code SEEK_DATA}/{@code SEEK_HOLE}: Ember leaves
 * zero pages as holes). A page is zero when it lies in a hole or its bytes are all zero.
 */
final class SnapshotMemory implements AutoCloseable {
    private static final int SEEK_DATA = 3, SEEK_HOLE = 4;
    private static final MemoryIO IO = MemoryIO.getInstance();

    private final long address;
    private final long size;
    private final long pageSize;
    private final BitSet dataPages = new BitSet();

    private SnapshotMemory(long address, long size, long pageSize) {
        this.address = address;
        this.size = size;
        this.pageSize = pageSize;
    }

    /** @throws IllegalArgumentException naming the file and the problem */
    static SnapshotMemory map(String path, long pageSize) {
        int fd = Native.LIBC.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            throw new IllegalArgumentException("memory file " + path + ": " + Native.LIBC.strerror(Native.errno()));
        }
        try {
            long size = Native.LIBC.lseek(fd, 0, 2);
            if (size <= 0) {
                throw new IllegalArgumentException("memory file " + path + " is empty");
            }
            long addr = Native.mmap(0, size, LibC.PROT_READ, LibC.MAP_PRIVATE | LibC.MAP_NORESERVE, fd, 0);
            if (addr == LibC.MAP_FAILED) {
                throw new IllegalArgumentException("memory file " + path + ": mmap: " + Native.LIBC.strerror(Native.errno()));
            }
            SnapshotMemory m = new SnapshotMemory(addr, size, pageSize);
            m.findData(fd);
            return m;
        } finally {
            Native.LIBC.close(fd);
        }
    }

    private void findData(int fd) {
        long pos = 0;
        while (pos < size) {
            long data = Native.LIBC.lseek(fd, pos, SEEK_DATA);
            if (data < 0) {
                if (Native.errno() == LibC.ENXIO) {
                    return; // only a hole up to the end
                }
                dataPages.set(0, (int) ((size + pageSize - 1) / pageSize)); // no SEEK_DATA here: look at every page
                return;
            }
            long hole = Native.LIBC.lseek(fd, data, SEEK_HOLE);
            if (hole < 0) {
                hole = size;
            }
            dataPages.set((int) (data / pageSize), (int) ((hole + pageSize - 1) / pageSize));
            pos = hole;
        }
    }

    long size() {
        return size;
    }

    /** Bytes of the file in pages that hold data. */
    long dataBytes() {
        return (long) dataPages.cardinality() * pageSize;
    }

    /** Host address of the file's byte at {@code offset} in this process. */
    long address(long offset) {
        return address + offset;
    }

    /** Allocation-free: the page at {@code offset} is in a hole, or all its bytes are zero. */
    boolean isZero(long offset) {
        if (!dataPages.get((int) (offset / pageSize))) {
            return true;
        }
        long p = address + offset;
        for (long i = 0; i < pageSize; i += 8) {
            if (IO.getLong(p + i) != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        Native.LIBC.munmap(address, size);
    }
}
