package dev.ember.memory;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.NativeException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;
import dev.ember.sys.NativeMemory;

/**
 * Guest RAM: anonymous host mappings, one per region, addressed by guest-physical address.
 *
 * <p>Every access is bounds-checked against a single region; an access that leaves guest RAM
 * or straddles two regions throws {@link GuestMemoryException}. Accessors take and return
 * primitives and never allocate, so device hot paths can use them freely.
 */
public final class GuestMemory implements AutoCloseable {
    /** Start of the 32-bit MMIO hole, as Firecracker lays out x86_64 guests (768 MiB below 4 GiB). */
    public static final long MMIO_GAP_START = 0xD000_0000L;
    public static final long MMIO_GAP_END = 0x1_0000_0000L;

    /** Guest RAM: the KVM slots, memory files and dirty bitmaps are these. */
    private final GuestRegion[] regions;
    /**
     * What accesses are looked up in: RAM's regions, then the hotpluggable range once attached
     * ({@link #attachHotplug}); written once, before any device or vCPU runs.
     */
    private volatile GuestRegion[] lookup;
    private volatile NativeMemory[] views;
    /** Which bytes of the hotpluggable range are plugged; null without one. */
    private volatile HotplugAccess hotplugAccess;
    private final long totalSize;
    /** Mapped from a snapshot's memory file (MAP_PRIVATE): discarded pages must not fall back to it. */
    private final boolean fileBacked;
    /** The memfd behind RAM mapped shared ({@link #createShared}), or -1: RAM is private to this process. */
    private final int sharedFd;
    /** One bit per page per region, set when the VMM writes guest memory; null unless tracking. */
    private volatile AtomicLongArray[] vmmDirty;
    private volatile boolean closed;

    private GuestMemory(GuestRegion[] regions, boolean fileBacked, int sharedFd) {
        this.regions = regions;
        this.lookup = regions;
        this.fileBacked = fileBacked;
        this.sharedFd = sharedFd;
        NativeMemory[] v = new NativeMemory[regions.length];
        long total = 0;
        for (int i = 0; i < regions.length; i++) {
            v[i] = view(regions[i]);
            total += regions[i].size();
        }
        this.views = v;
        this.totalSize = total;
    }

    private static NativeMemory view(GuestRegion r) {
        return NativeMemory.view(r.hostAddress(), r.size());
    }

    /** Which parts of the hotpluggable range the guest has plugged: the only parts devices may touch. */
    @FunctionalInterface
    public interface HotplugAccess {
        /** Whether every byte of {@code [offset, offset+len)} of the range is plugged. Allocation-free, any thread. */
        boolean plugged(long offset, long len);
    }

    /**
     * Makes the hotpluggable range (virtio-mem) reachable through this memory's accessors, for
     * the parts {@code access} says are plugged: the guest may place virtqueues and buffers in
     * plugged memory, and an access to unplugged memory fails as one outside RAM does. The range
     * is not RAM: {@link #regions()}, {@link #size()}, memory files and dirty tracking leave it
     * out. Once, before any device or vCPU runs.
     */
    public synchronized void attachHotplug(GuestRegion range, HotplugAccess access) {
        if (hotplugAccess != null) {
            throw new IllegalStateException("a hotpluggable range is already attached");
        }
        GuestRegion[] l = java.util.Arrays.copyOf(regions, regions.length + 1);
        l[regions.length] = range;
        NativeMemory[] v = java.util.Arrays.copyOf(views, regions.length + 1);
        v[regions.length] = view(range);
        hotplugAccess = access;
        views = v;
        lookup = l;
    }

    /**
     * Maps {@code sizeBytes} of guest RAM starting at guest-physical 0, leaving the MMIO gap
     * below 4 GiB unbacked: RAM above the gap start continues at 4 GiB.
     */
    public static GuestMemory create(long sizeBytes) {
        return map(sizeBytes, -1, RamBacking.PAGES_4K);
    }

    /**
     * As {@link #create(long)}, backed as {@code backing} says; {@code sizeBytes} must be a
     * multiple of its {@link RamBacking#granule()}.
     *
     * @throws HugePagesUnavailableException when the hugetlbfs pool cannot back the guest
     */
    public static GuestMemory create(long sizeBytes, RamBacking backing) {
        if (sizeBytes % backing.granule() != 0) {
            throw new IllegalArgumentException("guest memory of " + sizeBytes + " bytes is not a multiple of " + backing
                    + "'s " + backing.granule() + "-byte pages");
        }
        return map(sizeBytes, -1, backing);
    }

    /**
     * Maps guest RAM from {@code fd}, a file of exactly {@code sizeBytes} holding the regions one
     * after another (what {@link #dumpTo} writes), private and copy-on-write: pages are read from
     * the file when the guest first touches them, and guest writes never reach the file. This is
     * how a snapshot's memory file is loaded (Firecracker's File backend). The fd may be closed
     * afterwards.
     */
    public static GuestMemory mapFile(long sizeBytes, int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("fd " + fd);
        }
        return map(sizeBytes, fd, RamBacking.PAGES_4K);
    }

    /**
     * As {@link #create(long)}, but RAM is one memfd mapped {@code MAP_SHARED}, so another
     * process handed the fd ({@link #sharedFd()}) sees and writes the very pages the guest does:
     * what a vhost-user back-end needs to serve the guest's virtqueues. Region {@code i} lies in
     * the file at {@link #fileOffset(int)}, regions one after another as a memory file holds them.
     */
    public static GuestMemory createShared(long sizeBytes) {
        if (sizeBytes <= 0 || (sizeBytes & 0xFFF) != 0) {
            throw new IllegalArgumentException("guest memory size must be a positive multiple of 4 KiB: " + sizeBytes);
        }
        int fd = Native.LIBC.memfd_create("ember-guest-ram", LibC.MFD_CLOEXEC);
        if (fd < 0) {
            throw new NativeException("memfd_create for shared guest memory", Native.errno());
        }
        try {
            if (Native.LIBC.ftruncate(fd, sizeBytes) < 0) {
                throw new NativeException("ftruncate shared guest memory to " + (sizeBytes >> 20) + " MiB", Native.errno());
            }
            return map(sizeBytes, fd, RamBacking.PAGES_4K, true);
        } catch (RuntimeException e) {
            Native.LIBC.close(fd);
            throw e;
        }
    }

    private static GuestMemory map(long sizeBytes, int fd, RamBacking backing) {
        return map(sizeBytes, fd, backing, false);
    }

    private static GuestMemory map(long sizeBytes, int fd, RamBacking backing, boolean shared) {
        if (sizeBytes <= 0 || (sizeBytes & 0xFFF) != 0) {
            throw new IllegalArgumentException("guest memory size must be a positive multiple of 4 KiB: " + sizeBytes);
        }
        List<long[]> layout = new ArrayList<>();
        if (sizeBytes <= MMIO_GAP_START) {
            layout.add(new long[] {0, sizeBytes});
        } else {
            layout.add(new long[] {0, MMIO_GAP_START});
            layout.add(new long[] {MMIO_GAP_END, sizeBytes - MMIO_GAP_START});
        }
        GuestRegion[] regions = new GuestRegion[layout.size()];
        try {
            long fileOffset = 0;
            for (int i = 0; i < regions.length; i++) {
                long size = layout.get(i)[1];
                long host = fd >= 0
                        ? Native.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE,
                                (shared ? LibC.MAP_SHARED : LibC.MAP_PRIVATE) | LibC.MAP_NORESERVE, fd, fileOffset)
                        : mapAnonymous(size, backing);
                if (host == LibC.MAP_FAILED && backing == RamBacking.HUGETLBFS_2M) {
                    throw new HugePagesUnavailableException(sizeBytes / backing.granule(), hugePagesFree(), Native.errno());
                }
                if (host == LibC.MAP_FAILED) {
                    throw new NativeException("mmap guest memory (" + (size >> 20) + " MiB" + (fd < 0 ? "" : " from a file") + ")",
                            Native.errno());
                }
                regions[i] = new GuestRegion(layout.get(i)[0], size, host);
                fileOffset += size;
            }
        } catch (RuntimeException e) {
            for (GuestRegion r : regions) {
                if (r != null) {
                    Native.LIBC.munmap(r.hostAddress(), r.size());
                }
            }
            throw e;
        }
        return shared ? new GuestMemory(regions, false, fd) : new GuestMemory(regions, fd >= 0, -1);
    }

    /** The memfd RAM is mapped from when it was made by {@link #createShared}; -1 when RAM is private. */
    public int sharedFd() {
        return sharedFd;
    }

    /** Where region {@code i} of {@link #regions()} starts in the file RAM is mapped from (regions lie one after another). */
    public long fileOffset(int i) {
        long offset = 0;
        for (int r = 0; r < i; r++) {
            offset += regions[r].size();
        }
        return offset;
    }

    /** One region of anonymous RAM, or MAP_FAILED with errno set. */
    private static long mapAnonymous(long size, RamBacking backing) {
        int prot = LibC.PROT_READ | LibC.PROT_WRITE;
        int anon = LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS;
        switch (backing) {
            case HUGETLBFS_2M:
                // No MAP_NORESERVE: the pages are reserved now, so a short pool fails here, not as SIGBUS later.
                return Native.mmap(0, size, prot, anon | LibC.MAP_HUGETLB | LibC.MAP_HUGE_2MB, -1, 0);
            case TRANSPARENT: {
                // A huge page needs a 2 MiB-aligned virtual range: map one granule more and trim.
                long granule = backing.granule();
                long raw = Native.mmap(0, size + granule, prot, anon | LibC.MAP_NORESERVE, -1, 0);
                if (raw == LibC.MAP_FAILED) {
                    return raw;
                }
                long start = (raw + granule - 1) & -granule;
                if (start > raw) {
                    Native.LIBC.munmap(raw, start - raw);
                }
                long tail = raw + size + granule - (start + size);
                if (tail > 0) {
                    Native.LIBC.munmap(start + size, tail);
                }
                // Advice, not a promise: with THP "never" on the host the RAM still works, in 4 KiB pages.
                Native.LIBC.madvise(start, size, LibC.MADV_HUGEPAGE);
                return start;
            }
            default:
                return Native.mmap(0, size, prot, anon | LibC.MAP_NORESERVE, -1, 0);
        }
    }

    /** HugePages_Free from /proc/meminfo (the default huge page size's pool), or -1. */
    private static long hugePagesFree() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/meminfo"))) {
                if (line.startsWith("HugePages_Free:")) {
                    return Long.parseLong(line.substring("HugePages_Free:".length()).trim());
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            // unknown; the message says so
        }
        return -1;
    }

    public List<GuestRegion> regions() {
        return Collections.unmodifiableList(List.of(regions));
    }

    /** Total bytes of guest RAM (excluding the MMIO gap). */
    public long size() {
        return totalSize;
    }

    /** Highest guest-physical address + 1 that is RAM. */
    public long end() {
        return regions[regions.length - 1].guestEnd();
    }

    public boolean isValid(long gpa, long len) {
        return regionIndex(gpa, len) >= 0;
    }

    /**
     * Host virtual address of {@code [gpa, gpa+len)}, which must lie in one region. With dirty
     * page tracking on, the range counts as written: callers use the address for direct I/O in
     * either direction, and marking a read too only makes a Diff snapshot slightly larger.
     */
    public long hostAddress(long gpa, long len) {
        int i = regionIndex(gpa, len);
        if (i < 0) {
            throw outOfRange(gpa, len);
        }
        markDirty(i, gpa, len);
        return lookup[i].hostAddress() + (gpa - lookup[i].guestBase());
    }

    /**
     * Gives the host the pages of {@code [gpa, gpa+len)} back: their memory is freed now and the
     * guest's next touch maps a fresh zero page. Anonymous RAM: {@code madvise(MADV_DONTNEED)}.
     * RAM mapped from a snapshot's memory file (MAP_PRIVATE): DONTNEED would drop our private
     * copies but bring the file's old bytes back, so the range is replaced by a fresh anonymous
     * mapping instead (KVM follows the host mapping through its MMU notifier). The range must be
     * page-aligned and lie in one region; it counts as written for Diff snapshots.
     *
     * @return false when the range is not page-aligned guest RAM or the kernel refused
     */
    public boolean discard(long gpa, long len) {
        if (len <= 0 || (gpa & (PAGE - 1)) != 0 || (len & (PAGE - 1)) != 0) {
            return false;
        }
        int i = regionIndex(gpa, len);
        if (i < 0) {
            return false;
        }
        markDirty(i, gpa, len);
        long host = lookup[i].hostAddress() + (gpa - lookup[i].guestBase());
        if (fileBacked && i < regions.length) {
            return Native.mmap(host, len, LibC.PROT_READ | LibC.PROT_WRITE,
                    LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE | LibC.MAP_FIXED, -1, 0) == host;
        }
        if (sharedFd >= 0 && i < regions.length) {
            // DONTNEED on a shared mapping drops only this process's page table entries, the memfd
            // keeps the pages: REMOVE frees them from the file (the back-end's mapping reads zeroes too).
            return Native.LIBC.madvise(host, len, LibC.MADV_REMOVE) == 0;
        }
        return Native.LIBC.madvise(host, len, LibC.MADV_DONTNEED) == 0;
    }

    // ---- dirty pages written by the VMM (KVM logs the guest's own writes) ----------------

    /**
     * Starts recording which pages the VMM writes (device DMA, loaders), for Diff snapshots.
     * KVM's dirty log only sees writes by the guest's vCPUs; this bitmap covers the rest.
     */
    public synchronized void trackDirtyPages() {
        if (vmmDirty != null) {
            return;
        }
        AtomicLongArray[] maps = new AtomicLongArray[regions.length];
        for (int i = 0; i < regions.length; i++) {
            maps[i] = new AtomicLongArray((int) ((regions[i].size() / PAGE + 63) / 64));
        }
        vmmDirty = maps;
    }

    public boolean tracksDirtyPages() {
        return vmmDirty != null;
    }

    /** Allocation-free: one CAS per page word, skipped when the bit is already set. */
    private void markDirty(int region, long gpa, long len) {
        AtomicLongArray[] maps = vmmDirty;
        if (maps == null || len <= 0 || region >= maps.length) {
            return; // not tracked, or the hotpluggable range (not in the memory file)
        }
        AtomicLongArray map = maps[region];
        long first = (gpa - regions[region].guestBase()) / PAGE;
        long last = (gpa - regions[region].guestBase() + len - 1) / PAGE;
        for (long p = first; p <= last; p++) {
            int w = (int) (p >>> 6);
            long bit = 1L << (p & 63);
            long old;
            do {
                old = map.get(w);
                if ((old & bit) != 0) {
                    break;
                }
            } while (!map.compareAndSet(w, old, old | bit));
        }
    }

    /** ORs the pages the VMM wrote in region {@code region} since the last call into {@code bitmap}, and clears them. */
    public void takeVmmDirtyPages(int region, long[] bitmap) {
        AtomicLongArray map = vmmDirty[region];
        for (int w = 0; w < map.length(); w++) {
            bitmap[w] |= map.getAndSet(w, 0);
        }
    }

    /** Words of a region's page bitmap (one bit per 4 KiB page). */
    public int bitmapWords(int region) {
        return (int) ((regions[region].size() / PAGE + 63) / 64);
    }

    /**
     * pwrites the pages set in {@code bitmaps[region]} (coalesced into runs) at their offsets of
     * the memory-file layout (regions one after another); other file bytes are left alone.
     */
    public void writePagesTo(int fd, long[][] bitmaps) {
        long fileOffset = 0;
        for (int i = 0; i < regions.length; i++) {
            long pages = regions[i].size() / PAGE;
            long runStart = -1;
            for (long p = 0; p <= pages; p++) {
                boolean dirty = p < pages && (bitmaps[i][(int) (p >>> 6)] & (1L << (p & 63))) != 0;
                if (dirty && runStart < 0) {
                    runStart = p;
                } else if (!dirty && runStart >= 0) {
                    writeToFile(fd, fileOffset + runStart * PAGE, regions[i].guestBase() + runStart * PAGE, (p - runStart) * PAGE);
                    runStart = -1;
                }
            }
            fileOffset += regions[i].size();
        }
    }

    private int regionIndex(long gpa, long len) {
        GuestRegion[] l = lookup;
        for (int i = 0; i < l.length; i++) {
            if (l[i].contains(gpa, len)) {
                return i < regions.length || hotplugAccess.plugged(gpa - l[i].guestBase(), len) ? i : -1;
            }
        }
        return -1;
    }

    private int indexOrThrow(long gpa, long len) {
        int i = regionIndex(gpa, len);
        if (i < 0) {
            throw outOfRange(gpa, len);
        }
        return i;
    }

    private static GuestMemoryException outOfRange(long gpa, long len) {
        return new GuestMemoryException(String.format("guest access [0x%x, +0x%x) is outside guest RAM", gpa, len));
    }

    public byte getByte(long gpa) {
        int i = indexOrThrow(gpa, 1);
        return views[i].getByte(gpa - lookup[i].guestBase());
    }

    public short getShort(long gpa) {
        int i = indexOrThrow(gpa, 2);
        return views[i].getShort(gpa - lookup[i].guestBase());
    }

    public int getInt(long gpa) {
        int i = indexOrThrow(gpa, 4);
        return views[i].getInt(gpa - lookup[i].guestBase());
    }

    public long getLong(long gpa) {
        int i = indexOrThrow(gpa, 8);
        return views[i].getLong(gpa - lookup[i].guestBase());
    }

    public void putByte(long gpa, byte v) {
        int i = indexOrThrow(gpa, 1);
        markDirty(i, gpa, 1);
        views[i].putByte(gpa - lookup[i].guestBase(), v);
    }

    public void putShort(long gpa, short v) {
        int i = indexOrThrow(gpa, 2);
        markDirty(i, gpa, 2);
        views[i].putShort(gpa - lookup[i].guestBase(), v);
    }

    public void putInt(long gpa, int v) {
        int i = indexOrThrow(gpa, 4);
        markDirty(i, gpa, 4);
        views[i].putInt(gpa - lookup[i].guestBase(), v);
    }

    public void putLong(long gpa, long v) {
        int i = indexOrThrow(gpa, 8);
        markDirty(i, gpa, 8);
        views[i].putLong(gpa - lookup[i].guestBase(), v);
    }

    public void read(long gpa, byte[] dst, int off, int len) {
        int i = indexOrThrow(gpa, len);
        views[i].get(gpa - lookup[i].guestBase(), dst, off, len);
    }

    public void write(long gpa, byte[] src, int off, int len) {
        int i = indexOrThrow(gpa, len);
        markDirty(i, gpa, len);
        views[i].put(gpa - lookup[i].guestBase(), src, off, len);
    }

    public void fill(long gpa, long len, byte value) {
        int i = indexOrThrow(gpa, len);
        markDirty(i, gpa, len);
        views[i].setMemory(gpa - lookup[i].guestBase(), len, value);
    }

    /** pread from {@code fd} straight into guest memory; returns bytes read (short at EOF). */
    public long readFromFile(int fd, long fileOffset, long gpa, long len) {
        long host = hostAddress(gpa, len);
        long done = 0;
        while (done < len) {
            long n = Native.LIBC.pread64(fd, host + done, len - done, fileOffset + done);
            if (n < 0) {
                if (Native.errno() == LibC.EINTR) {
                    continue;
                }
                throw new NativeException("pread into guest memory", Native.errno());
            }
            if (n == 0) {
                break;
            }
            done += n;
        }
        return done;
    }

    /** pwrite from guest memory straight to {@code fd}. */
    public void writeToFile(int fd, long fileOffset, long gpa, long len) {
        int i = indexOrThrow(gpa, len); // a read of guest memory: not marked dirty
        pwriteAll(fd, fileOffset, lookup[i].hostAddress() + (gpa - lookup[i].guestBase()), len);
    }

    private static void pwriteAll(int fd, long fileOffset, long host, long len) {
        long done = 0;
        while (done < len) {
            long n = Native.LIBC.pwrite64(fd, host + done, len - done, fileOffset + done);
            if (n < 0) {
                if (Native.errno() == LibC.EINTR) {
                    continue;
                }
                throw new NativeException("pwrite from guest memory", Native.errno());
            }
            done += n;
        }
    }

    /**
     * Bytes of the memory file {@link #dumpTo} writes: RAM, then the hotpluggable range when
     * one is attached (whose unplugged blocks are holes: the host gave their pages back).
     */
    public long fileSize() {
        GuestRegion[] l = lookup;
        return l.length > regions.length ? totalSize + l[regions.length].size() : totalSize;
    }

    /**
     * Writes all guest RAM to {@code fd} from offset 0, region after region (the MMIO gap is not
     * in the file), then the hotpluggable range if one is attached, with pwrite straight from the
     * mapping; zero pages become holes. {@link #mapFile} reads the RAM part back.
     */
    public void dumpTo(int fd) {
        long size = fileSize();
        if (Native.LIBC.ftruncate(fd, size) < 0) {
            throw new NativeException("ftruncate memory file to " + size + " bytes", Native.errno());
        }
        GuestRegion[] l = lookup;
        long fileOffset = 0;
        for (GuestRegion r : l) {
            dumpRegion(fd, fileOffset, r);
            fileOffset += r.size();
        }
    }

    /**
     * Rewrites the hotpluggable range's part of a memory file (after RAM) from the range as it is
     * now: the part is punched to a hole, then the non-zero pages are written. A Diff file's way
     * to carry the range, which no dirty log covers: pages unplugged since the base read as zeroes
     * again. Nothing without a range.
     */
    public void rewriteHotplugTo(int fd) {
        GuestRegion[] l = lookup;
        if (l.length == regions.length) {
            return;
        }
        GuestRegion range = l[regions.length];
        if (Native.LIBC.fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, totalSize, range.size()) < 0) {
            throw new NativeException("punch the hotpluggable range out of the memory file", Native.errno());
        }
        dumpRegion(fd, totalSize, range);
    }

    private static final int FALLOC_FL_KEEP_SIZE = 0x01, FALLOC_FL_PUNCH_HOLE = 0x02;
    private static final long PAGE = 4096;
    private static final long SCAN_CHUNK = 1 << 20;
    private static final ByteBuffer ZERO_PAGE = ByteBuffer.allocateDirect((int) PAGE);

    /**
     * Writes the non-zero pages of {@code r}, coalesced into runs; all-zero pages stay holes in
     * the (already full-length) file, which read back as zeros. A guest that touched little of
     * its RAM gives a small, sparse file. Reading a page the guest never touched maps the
     * kernel's shared zero page; nothing is allocated.
     */
    private static void dumpRegion(int fd, long fileOffset, GuestRegion r) {
        long runStart = -1;
        for (long chunk = 0; chunk < r.size(); chunk += SCAN_CHUNK) {
            int len = (int) Math.min(SCAN_CHUNK, r.size() - chunk);
            // A view of the guest mapping (no copy) so the scan runs as vectorised mismatch.
            ByteBuffer mapped = MemoryIO.getInstance().newDirectByteBuffer(r.hostAddress() + chunk, len);
            for (int p = 0; p < len; p += (int) PAGE) {
                long off = chunk + p;
                boolean zero = mapped.slice(p, (int) PAGE).mismatch(ZERO_PAGE) == -1;
                if (!zero && runStart < 0) {
                    runStart = off;
                } else if (zero && runStart >= 0) {
                    pwriteAll(fd, fileOffset + runStart, r.hostAddress() + runStart, off - runStart);
                    runStart = -1;
                }
            }
        }
        if (runStart >= 0) {
            pwriteAll(fd, fileOffset + runStart, r.hostAddress() + runStart, r.size() - runStart);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (GuestRegion r : regions) {
            Native.LIBC.munmap(r.hostAddress(), r.size());
        }
        if (sharedFd >= 0) {
            Native.LIBC.close(sharedFd);
        }
    }
}
