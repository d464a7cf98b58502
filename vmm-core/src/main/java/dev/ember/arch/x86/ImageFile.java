package dev.ember.arch.x86;

import dev.ember.memory.GuestMemory;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.NativeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.ember.sys.NativeMemory;

/**
 * A kernel or initrd file opened read-only. Small headers are read into little-endian byte
 * buffers for parsing; payloads go from the file straight into guest memory with pread, so a
 * kernel image never passes through the Java heap.
 */
final class ImageFile implements AutoCloseable {
    private static final int SEEK_END = 2;

    private final Path path;
    private final String what;
    private final int fd;
    private final long size;

    private ImageFile(Path path, String what, int fd, long size) {
        this.path = path;
        this.what = what;
        this.fd = fd;
        this.size = size;
    }

    /** Opens {@code path}; {@code what} ("kernel image", "initrd") names it in errors. */
    static ImageFile open(Path path, String what) {
        if (!Files.exists(path)) {
            throw new KernelLoadException(KernelLoadException.Reason.FILE, what + " " + path + " does not exist: check the path");
        }
        if (!Files.isRegularFile(path)) {
            throw new KernelLoadException(KernelLoadException.Reason.FILE, what + " " + path + " is not a regular file");
        }
        int fd = Native.LIBC.open(path.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            int errno = Native.errno();
            throw new KernelLoadException(KernelLoadException.Reason.FILE, "cannot open " + what + " " + path + ": "
                    + Native.LIBC.strerror(errno) + " (errno " + errno + ")");
        }
        long size = Native.LIBC.lseek(fd, 0, SEEK_END);
        if (size < 0) {
            int errno = Native.errno();
            Native.LIBC.close(fd);
            throw new KernelLoadException(KernelLoadException.Reason.FILE, "cannot size " + what + " " + path + ": " + Native.LIBC.strerror(errno));
        }
        return new ImageFile(path, what, fd, size);
    }

    Path path() {
        return path;
    }

    long size() {
        return size;
    }

    /** Reads {@code len} bytes at {@code offset}; the file must hold all of them. */
    ByteBuffer read(long offset, int len) {
        if (offset < 0 || offset > size - len) {
            throw new KernelLoadException(KernelLoadException.Reason.TRUNCATED, String.format("%s %s is truncated: needs bytes [0x%x, 0x%x) but is %d bytes long",
                    what, path, offset, offset + len, size));
        }
        if (len == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        NativeMemory buf = Native.allocate(len);
        long done = 0;
        while (done < len) {
            long n = Native.LIBC.pread64(fd, buf.address() + done, len - done, offset + done);
            if (n < 0 && Native.errno() == LibC.EINTR) {
                continue;
            }
            if (n <= 0) {
                throw readFailure(offset + done, n);
            }
            done += n;
        }
        byte[] bytes = new byte[len];
        buf.get(0, bytes, 0, len);
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Copies {@code [offset, offset+len)} of the file to guest-physical {@code gpa} with pread. */
    void loadInto(GuestMemory mem, long offset, long gpa, long len) {
        if (len == 0) {
            return;
        }
        long n;
        try {
            n = mem.readFromFile(fd, offset, gpa, len);
        } catch (NativeException e) {
            throw new KernelLoadException(KernelLoadException.Reason.FILE, "reading " + what + " " + path + " failed: " + e.getMessage(), e);
        }
        if (n != len) {
            throw new KernelLoadException(KernelLoadException.Reason.TRUNCATED, String.format("%s %s ended early: wanted 0x%x bytes at file offset 0x%x, got 0x%x"
                    + " (was the file changed while loading?)", what, path, len, offset, n));
        }
    }

    private KernelLoadException readFailure(long offset, long rc) {
        String why = rc == 0 ? "unexpected end of file" : Native.LIBC.strerror(Native.errno());
        return new KernelLoadException(KernelLoadException.Reason.FILE, String.format("reading %s %s at offset 0x%x failed: %s", what, path, offset, why));
    }

    @Override
    public void close() {
        Native.LIBC.close(fd);
    }
}
