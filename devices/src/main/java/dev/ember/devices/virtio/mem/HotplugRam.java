package dev.ember.devices.virtio.mem;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;

/**
 * The host memory behind the hotpluggable range: one private anonymous mapping of the whole
 * range, reserved without commitment ({@code MAP_NORESERVE}), so only what the guest plugs and
 * touches costs host memory. An unplugged block is given back with {@code madvise(MADV_DONTNEED)}:
 * its pages are freed at once and read as zeroes if it is plugged again.
 */
public final class HotplugRam implements AutoCloseable {
    private final long size;
    private long host;

    private HotplugRam(long size, long host) {
        this.size = size;
        this.host = host;
    }

    /** Reserves {@code size} bytes (a multiple of 4 KiB). */
    public static HotplugRam reserve(long size) {
        if (size <= 0 || (size & 0xFFF) != 0) {
            throw new IllegalArgumentException("hotplug memory of " + size + " bytes");
        }
        long host = Native.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE,
                LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
        if (host == LibC.MAP_FAILED) {
            throw new VirtioMemException(VirtioMemException.Reason.MAP, "cannot reserve " + (size >> 20)
                    + " MiB of address space for hotpluggable memory: " + Native.LIBC.strerror(Native.errno()));
        }
        return new HotplugRam(size, host);
    }

    public long hostAddress() {
        return host;
    }

    public long size() {
        return size;
    }

    /** Frees the pages of {@code [offset, offset+len)}; false when the kernel refused. Allocation-free. */
    public boolean discard(long offset, long len) {
        return Native.LIBC.madvise(host + offset, len, LibC.MADV_DONTNEED) == 0;
    }

    /**
     * Fills {@code [offset, offset+len)} from {@code fd} at {@code fileOffset} (pread; short at
     * the end of the file leaves zeroes).
     *
     * @throws VirtioMemException the read failed
     */
    public void readFrom(int fd, long fileOffset, long offset, long len) {
        long done = 0;
        while (done < len) {
            long n = Native.LIBC.pread64(fd, host + offset + done, len - done, fileOffset + done);
            if (n < 0 && Native.errno() == LibC.EINTR) {
                continue;
            }
            if (n < 0) {
                throw new VirtioMemException(VirtioMemException.Reason.READ, "cannot read hotpluggable memory at file offset "
                        + (fileOffset + done) + ": " + Native.LIBC.strerror(Native.errno()));
            }
            if (n == 0) {
                return;
            }
            done += n;
        }
    }

    /** Unmaps; the guest must no longer reach it (its KVM slots removed). Idempotent. */
    @Override
    public void close() {
        if (host != 0) {
            Native.LIBC.munmap(host, size);
            host = 0;
        }
    }
}
