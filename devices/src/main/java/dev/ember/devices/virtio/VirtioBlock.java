package dev.ember.devices.virtio;

import static dev.ember.metrics.FirecrackerMetrics.Block.EXECUTE_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.Block.FLUSH_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Block.INVALID_REQS_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Block.NO_AVAIL_BUFFER;
import static dev.ember.metrics.FirecrackerMetrics.Block.IO_ENGINE_THROTTLED_EVENTS;
import static dev.ember.metrics.FirecrackerMetrics.Block.QUEUE_EVENT_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Block.RATE_LIMITER_EVENT_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Block.RATE_LIMITER_THROTTLED_EVENTS;
import static dev.ember.metrics.FirecrackerMetrics.Block.READ_AGG;
import static dev.ember.metrics.FirecrackerMetrics.Block.READ_BYTES;
import static dev.ember.metrics.FirecrackerMetrics.Block.READ_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Block.REMAINING_REQS_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Block.UPDATE_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Block.UPDATE_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.Block.WRITE_AGG;
import static dev.ember.metrics.FirecrackerMetrics.Block.WRITE_BYTES;
import static dev.ember.metrics.FirecrackerMetrics.Block.WRITE_COUNT;

import dev.ember.devices.ratelimit.RateLimiter;
import dev.ember.eventloop.EventLoop;
import dev.ember.eventloop.ThreadConfinement;
import dev.ember.log.Log;
import dev.ember.log.RateLimitedLog;
import dev.ember.memory.GuestMemoryException;
import dev.ember.metrics.FirecrackerMetrics.Block;
import dev.ember.metrics.FirecrackerMetrics;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import dev.ember.sys.NativeMemory;

/**
 * virtio-blk (virtio 1.2, 5.2) over a raw host image file. One request queue; requests move
 * data between the file and guest RAM with preadv/pwritev on the guest mapping, never through
 * the Java heap. All request handling runs on the event-loop thread and allocates nothing.
 *
 * <p>Request layout (5.2.6): a 16-byte device-readable header {@code type u32, reserved u32,
 * sector u64}, then data (device-writable for IN and GET_ID, device-readable for OUT, DISCARD
 * and WRITE_ZEROES), then one device-writable status byte. A chain whose layout contradicts its
 * type (header missing or writable, data in the wrong direction, no status byte) is a driver
 * bug and raises DEVICE_NEEDS_RESET; a well-formed request the device cannot serve (out of
 * range, unaligned, read-only drive) completes with VIRTIO_BLK_S_IOERR.
 */
public final class VirtioBlock extends VirtioDeviceBase {
    private static final System.Logger LOG = Log.logger(VirtioBlock.class);
    /** This drive's I/O errors: a guest repeating a request that fails cannot flood the log. */
    private final RateLimitedLog ioErrors = new RateLimitedLog(LOG, 10, 10_000);

    // 5.2.3 feature bits
    public static final int F_SIZE_MAX = 1, F_SEG_MAX = 2, F_RO = 5, F_FLUSH = 9, F_DISCARD = 13, F_WRITE_ZEROES = 14;
    // 5.2.6 request types and status
    public static final int T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8, T_DISCARD = 11, T_WRITE_ZEROES = 13;
    public static final int S_OK = 0, S_IOERR = 1, S_UNSUPP = 2;
    public static final int ID_BYTES = 20;
    public static final int WRITE_ZEROES_FLAG_UNMAP = 1;

    /** Largest data segment the driver may put in one descriptor (config size_max). */
    public static final int SIZE_MAX = 1 << 20;
    /** Data segments per request (config seg_max): header and status take two queue slots. */
    public static final int SEG_MAX = Virtio.MAX_QUEUE_SIZE - 2;
    /** Largest DISCARD / WRITE_ZEROES range in sectors (config max_discard_sectors etc.). */
    public static final int MAX_DISCARD_SECTORS = 1 << 22;

    // struct virtio_blk_config offsets (packed; checked against linux/virtio_blk.h in a test)
    static final int CFG_CAPACITY = 0, CFG_SIZE_MAX = 8, CFG_SEG_MAX = 12, CFG_MAX_DISCARD_SECTORS = 36,
            CFG_MAX_DISCARD_SEG = 40, CFG_DISCARD_SECTOR_ALIGNMENT = 44, CFG_MAX_WRITE_ZEROES_SECTORS = 48,
            CFG_MAX_WRITE_ZEROES_SEG = 52, CFG_WRITE_ZEROES_MAY_UNMAP = 56, CFG_SIZE = 60;

    private static final int FALLOC_FL_KEEP_SIZE = 0x01, FALLOC_FL_PUNCH_HOLE = 0x02, FALLOC_FL_ZERO_RANGE = 0x10;
    private static final int ZERO_CHUNK = 64 * 1024;

    private final String driveId;
    private final boolean readOnly;
    private final BlockCacheType cacheType;
    private final RateLimiter limiter;
    private final byte[] idBytes;
    private final long features;
    /** Capacity updates (PATCH /drives) go through its seqlock: vCPU reads retry, never block. */
    private final DeviceCounters<Block> m;
    private final QueuePass.Backlog backlog;
    private final QueuePass.Backlog resumeBacklog;
    private final DescriptorChain chain = new DescriptorChain(Virtio.MAX_QUEUE_SIZE);
    private final IoVecArray iov = new IoVecArray(Virtio.MAX_QUEUE_SIZE);
    /** The Async engine, or null for Sync (preadv/pwritev/fsync on the loop). */
    private final BlockIoUring uring;
    private final QueuePass.Server server = new QueuePass.Server() {
        @Override
        public long serve(DescriptorChain c) {
            return VirtioBlock.this.serve(c);
        }

        @Override
        public boolean accepting() {
            return uring == null || !uring.full();
        }
    };
    private NativeMemory zeroes;

    private volatile BlockBackingFile file;
    private boolean discardNegotiated;
    private boolean writeZeroesNegotiated;

    /**
     * @param driveId     the drive's id: names its metrics group ({@code block_<id>}), its logs, and is
     *                    returned to the guest as the device serial (GET_ID, first 20 bytes)
     * @param path        raw image on the host ({@code path_on_host}); capacity is its size in 512-byte sectors
     * @param readOnly    {@code is_read_only}: offers VIRTIO_BLK_F_RO, opens the file read-only, fails writes with IOERR
     * @param cacheType   {@code cache_type}
     * @param rateLimiter null for unlimited
     * @throws BlockDeviceException if the file cannot be opened
     */
    public VirtioBlock(String driveId, Path path, boolean readOnly, BlockCacheType cacheType, RateLimiter rateLimiter) {
        this(driveId, path, readOnly, cacheType, rateLimiter, BlockIoEngine.SYNC);
    }

    /**
     * @param engine {@code io_engine}: SYNC serves each request on the loop before the next;
     *               ASYNC keeps up to {@link BlockIoUring#DEPTH} in flight on an io_uring
     * @throws BlockDeviceException if the file cannot be opened, or ASYNC is asked for on a host
     *                              without a usable io_uring (reason IO_ENGINE)
     */
    public VirtioBlock(String driveId, Path path, boolean readOnly, BlockCacheType cacheType, RateLimiter rateLimiter,
                       BlockIoEngine engine) {
        super(Virtio.DEVICE_ID_BLOCK, "block " + driveId, 1, CFG_SIZE, new DeviceMetrics(FirecrackerMetrics.BLOCK, requireId(driveId, "drive_id")));
        this.driveId = driveId;
        this.readOnly = readOnly;
        this.cacheType = cacheType == null ? BlockCacheType.UNSAFE : cacheType;
        this.limiter = rateLimiter == null ? RateLimiter.unlimited() : rateLimiter;
        byte[] id = driveId.getBytes(StandardCharsets.US_ASCII);
        this.idBytes = id.length > ID_BYTES ? java.util.Arrays.copyOf(id, ID_BYTES) : id;
        long f = Virtio.RING_FEATURES | Virtio.bit(F_SEG_MAX) | Virtio.bit(F_SIZE_MAX);
        if (this.cacheType == BlockCacheType.WRITEBACK) {
            f |= Virtio.bit(F_FLUSH);
        }
        if (readOnly) {
            f |= Virtio.bit(F_RO);
        } else {
            f |= Virtio.bit(F_DISCARD) | Virtio.bit(F_WRITE_ZEROES);
        }
        this.features = f;
        this.m = metrics.counters(Block.class);
        this.backlog = new QueuePass.Backlog(m.get(REMAINING_REQS_COUNT), m.get(NO_AVAIL_BUFFER));
        // A pass after reaping completions is Ember's own (Firecracker serves the queue again
        // only when its engine was full): it finding the ring empty is no missing buffer.
        this.resumeBacklog = new QueuePass.Backlog(m.get(REMAINING_REQS_COUNT), null);
        this.file = BlockBackingFile.open(driveId, path, readOnly);
        if (engine == BlockIoEngine.ASYNC) {
            try {
                this.uring = new BlockIoUring(this::complete);
            } catch (IoUringException e) {
                file.close();
                throw BlockIoEngine.unavailable(driveId, e);
            }
        } else {
            this.uring = null;
        }
        config.put(CFG_SIZE_MAX, 4, SIZE_MAX)
                .put(CFG_SEG_MAX, 4, SEG_MAX)
                .put(CFG_MAX_DISCARD_SECTORS, 4, MAX_DISCARD_SECTORS)
                .put(CFG_MAX_DISCARD_SEG, 4, 1)
                .put(CFG_DISCARD_SECTOR_ALIGNMENT, 4, 1)
                .put(CFG_MAX_WRITE_ZEROES_SECTORS, 4, MAX_DISCARD_SECTORS)
                .put(CFG_MAX_WRITE_ZEROES_SEG, 4, 1)
                .put(CFG_WRITE_ZEROES_MAY_UNMAP, 1, 1)
                .put(CFG_CAPACITY, 8, file.sectors);
    }

    public String driveId() {
        return driveId;
    }

    /** The backing file in use (after {@link #updatePath}, the new one once the swap ran). */
    public Path path() {
        return file.path;
    }

    public long capacitySectors() {
        return file.sectors;
    }

    public RateLimiter rateLimiter() {
        return limiter;
    }

    /**
     * Swaps the backing file after boot (PATCH /drives): opens {@code newPath} now (so the caller
     * gets the error), then on the event loop switches to it, publishes the new capacity and
     * raises a configuration-change interrupt.
     *
     * @throws BlockDeviceException if the new file cannot be opened; the old one stays in use
     */
    public void updatePath(Path newPath) {
        BlockBackingFile next;
        try {
            next = BlockBackingFile.open(driveId, newPath, readOnly);
        } catch (BlockDeviceException e) {
            m.get(UPDATE_FAILS).inc();
            throw e;
        }
        EventLoop l = loop;
        if (l == null) {
            swapFile(next); // not attached yet: nothing else uses the file
        } else {
            l.execute(() -> swapFile(next));
        }
    }

    private void swapFile(BlockBackingFile next) {
        ThreadConfinement.requireLoop(loop, "VirtioBlock.swapFile");
        drainInFlight(); // requests queued on the old file finish before it closes
        BlockBackingFile old = file;
        config.beginUpdate(); // config reads wait for the whole new capacity
        // The generation moves before any new byte is visible: a driver that reads one sees the
        // new generation after it (virtio 1.2, 2.5.1) and reads the whole field again.
        if (transport != null) {
            transport.configChanged();
        }
        config.put(CFG_CAPACITY, 8, next.sectors);
        file = next;
        config.endUpdate();
        old.close();
        m.get(UPDATE_COUNT).inc();
        LOG.log(Level.INFO, "drive ''{0}'': now backed by {1} ({2} sectors)", driveId, next.path, next.sectors);
    }

    // ---- VirtioDevice ----------------------------------------------------------------------

    @Override public long deviceFeatures() { return features; }
    @Override public DeviceCounter interruptFailures() { return m.get(Block.EVENT_FAILS); }

    @Override
    protected void onAttach(EventLoop eventLoop) {
        attachLimiter(limiter, m.get(RATE_LIMITER_EVENT_COUNT), () -> processQueue(backlog));
        if (uring != null) {
            uring.attach(eventLoop, afterReap);
        }
    }

    /** The engine in use. */
    public BlockIoEngine ioEngine() {
        return uring == null ? BlockIoEngine.SYNC : BlockIoEngine.ASYNC;
    }

    /** Requests handed to the Async engine and not yet completed (always 0 for Sync). */
    public int inFlight() {
        return uring == null ? 0 : uring.inFlight();
    }

    /**
     * Completes every request in flight (used ring written, interrupt raised) before returning:
     * a snapshot taken afterwards has no request half-done. Event-loop thread, vCPUs paused.
     */
    public void drainInFlight() {
        ThreadConfinement.requireLoop(loop, "VirtioBlock.drainInFlight");
        if (uring != null && uring.inFlight() > 0) {
            uring.drain();
            notifyIfUsed();
            // Requests left in the avail ring (a full ring turned notifications off) get a pass
            // after the caller's task, not now: a snapshot must not start new ones.
            uring.wakeLater();
        }
    }

    @Override
    protected void onActivate(VirtioTransport t) {
        long f = t.negotiatedFeatures();
        discardNegotiated = (f & Virtio.bit(F_DISCARD)) != 0;
        writeZeroesNegotiated = (f & Virtio.bit(F_WRITE_ZEROES)) != 0;
    }

    @Override
    protected void onReset() {
        // completions still in flight are dropped, not written to a reset ring
        if (uring != null && uring.inFlight() > 0) {
            uring.drain();
        }
    }

    @Override
    public void onQueueNotify(int queueIndex) {
        m.get(QUEUE_EVENT_COUNT).inc();
        if (uring != null && uring.full()) {
            m.get(IO_ENGINE_THROTTLED_EVENTS).inc(); // the requests wait in the ring until completions make room
        }
        processQueue(backlog);
    }

    /** Serves the request queue until it is empty or the rate limiter says stop. */
    private void processQueue(QueuePass.Backlog counted) {
        ThreadConfinement.requireLoop(loop, "VirtioBlock.processQueue");
        VirtioTransport t = transport;
        if (t == null || t.broken()) {
            return;
        }
        boolean throttled = QueuePass.serve(t, 0, chain, limiter, server, m.get(INVALID_REQS_COUNT), counted);
        if (uring != null) {
            int rc = uring.submit();
            if (rc < 0) {
                submitFailed(rc);
            }
        }
        if (throttled) {
            m.get(RATE_LIMITER_THROTTLED_EVENTS).inc();
        }
    }

    private void submitFailed(int rc) {
        m.get(EXECUTE_FAILS).inc();
        ioErrors.log(Level.WARNING, () -> "drive '" + driveId + "': io_uring_enter failed: " + Native.LIBC.strerror(-rc));
    }

    /** Runs on the loop after completions were reaped: interrupt, then take more requests. */
    private final Runnable afterReap = this::afterReap;

    private void afterReap() {
        notifyIfUsed();
        processQueue(resumeBacklog);
    }

    private boolean usedSinceNotify;

    private void notifyIfUsed() {
        VirtioTransport t = transport;
        if (usedSinceNotify && t != null && !t.broken()) {
            t.notifyUsed(t.queue(0));
        }
        usedSinceNotify = false;
    }

    /** An Async request finished: status byte, metrics, used-ring entry in completion order. */
    private void complete(int head, long statusAddr, int kind, long bytes, int error, long startNanos) {
        VirtioTransport t = transport;
        if (error != 0) {
            m.get(EXECUTE_FAILS).inc();
            ioErrors.log(Level.WARNING, () -> "drive '" + driveId + "': "
                    + (kind == BlockIoUring.READ ? "read" : kind == BlockIoUring.WRITE ? "write" : "fsync") + " failed: " + BlockIoUring.errorText(error));
        } else if (kind == BlockIoUring.READ) {
            m.get(READ_BYTES).add(bytes);
            m.get(READ_COUNT).inc();
            m.latency(READ_AGG).recordSince(startNanos);
        } else if (kind == BlockIoUring.WRITE) {
            m.get(WRITE_BYTES).add(bytes);
            m.get(WRITE_COUNT).inc();
            m.latency(WRITE_AGG).recordSince(startNanos);
        }
        if (t == null || t.broken()) {
            return; // reset meanwhile: the driver no longer owns this chain
        }
        SplitQueue q = t.queue(0);
        try {
            q.memory().putByte(statusAddr, (byte) (error == 0 ? S_OK : S_IOERR));
        } catch (GuestMemoryException e) {
            m.get(INVALID_REQS_COUNT).inc();
            t.deviceError(e);
            return;
        }
        q.addUsed(head, error == 0 && kind == BlockIoUring.READ ? bytes + 1 : 1);
        usedSinceNotify = true;
    }

    private static VirtqueueException malformed(String what) {
        return new VirtqueueException(VirtqueueException.Reason.REQUEST_LAYOUT, what);
    }

    private static final long THROTTLED = QueuePass.PUT_BACK, IN_FLIGHT = QueuePass.IN_FLIGHT;

    /**
     * Executes one request; returns bytes written into the chain, {@link #THROTTLED}, or
     * {@link #IN_FLIGHT} when the Async engine completes it later.
     */
    private long serve(DescriptorChain c) {
        long r = c.readableBytes();
        long w = c.writableBytes();
        if (r < 16) {
            throw malformed("block request header is " + r + " device-readable bytes, needs 16");
        }
        if (w < 1) {
            throw malformed("block request has no device-writable status byte");
        }
        int type = (int) c.readReadable(0, 4);
        long sector = c.readReadable(8, 8);
        long statusOffset = w - 1;
        int status;
        long written = 1;
        switch (type) {
            case T_IN: {
                if (r != 16) {
                    throw malformed("read request carries " + (r - 16) + " device-readable data bytes");
                }
                long len = w - 1;
                if (!limiter.consume(len, 1)) {
                    return THROTTLED;
                }
                if (uring != null && inRange(sector, len)) {
                    uring.readOrWrite(false, c, file.fd, sector * BlockBackingFile.SECTOR_SIZE, len);
                    return IN_FLIGHT;
                }
                status = read(c, sector, len);
                if (status == S_OK) {
                    written += len;
                }
                break;
            }
            case T_OUT: {
                if (w != 1) {
                    throw malformed("write request carries " + (w - 1) + " device-writable data bytes");
                }
                long len = r - 16;
                if (!limiter.consume(len, 1)) {
                    return THROTTLED;
                }
                if (uring != null && !readOnly && inRange(sector, len)) {
                    uring.readOrWrite(true, c, file.fd, sector * BlockBackingFile.SECTOR_SIZE, len);
                    return IN_FLIGHT;
                }
                status = write(c, sector, len);
                break;
            }
            case T_FLUSH:
                if (r != 16 || w != 1) {
                    throw malformed("flush request carries data buffers");
                }
                if (!limiter.consume(0, 1)) {
                    return THROTTLED;
                }
                if (uring != null && cacheType == BlockCacheType.WRITEBACK) {
                    m.get(FLUSH_COUNT).inc();
                    uring.flush(c, file.fd);
                    return IN_FLIGHT;
                }
                status = flush();
                break;
            case T_GET_ID: {
                if (r != 16) {
                    throw malformed("get-id request carries device-readable data");
                }
                long n = Math.min(ID_BYTES, w - 1);
                for (int i = 0; i < n; i++) {
                    c.writeWritable(i, 1, i < idBytes.length ? idBytes[i] : 0);
                }
                written += n;
                status = S_OK;
                break;
            }
            case T_DISCARD:
            case T_WRITE_ZEROES: {
                if (w != 1) {
                    throw malformed("discard/write-zeroes request carries device-writable data bytes");
                }
                if (!limiter.consume(0, 1)) {
                    return THROTTLED;
                }
                drainInFlight(); // hole punching and zeroing run in place: earlier writes land first
                status = discardOrZero(c, type == T_DISCARD, r - 16);
                break;
            }
            default:
                m.get(INVALID_REQS_COUNT).inc();
                status = S_UNSUPP;
        }
        c.writeWritable(statusOffset, 1, status);
        return written;
    }

    private boolean inRange(long sector, long bytes) {
        long sectors = file.sectors;
        if (bytes % BlockBackingFile.SECTOR_SIZE != 0) {
            return false;
        }
        long n = bytes / BlockBackingFile.SECTOR_SIZE;
        return sector >= 0 && sector <= sectors && n <= sectors - sector;
    }

    private int read(DescriptorChain c, long sector, long len) {
        if (!inRange(sector, len)) {
            m.get(INVALID_REQS_COUNT).inc();
            return S_IOERR;
        }
        long start = System.nanoTime();
        int n = c.toIovecs(true, 0, len, iov, 0);
        if (!transfer(false, n, sector * BlockBackingFile.SECTOR_SIZE)) {
            return S_IOERR;
        }
        m.get(READ_BYTES).add(len);
        m.get(READ_COUNT).inc();
        m.latency(READ_AGG).recordSince(start);
        return S_OK;
    }

    private int write(DescriptorChain c, long sector, long len) {
        if (readOnly) {
            m.get(INVALID_REQS_COUNT).inc();
            return S_IOERR;
        }
        if (!inRange(sector, len)) {
            m.get(INVALID_REQS_COUNT).inc();
            return S_IOERR;
        }
        long start = System.nanoTime();
        int n = c.toIovecs(false, 16, len, iov, 0);
        if (!transfer(true, n, sector * BlockBackingFile.SECTOR_SIZE)) {
            return S_IOERR;
        }
        m.get(WRITE_BYTES).add(len);
        m.get(WRITE_COUNT).inc();
        m.latency(WRITE_AGG).recordSince(start);
        return S_OK;
    }

    /** preadv/pwritev over iovecs {@code [0, n)} until done; false on error or end of file. */
    private boolean transfer(boolean toFile, int n, long offset) {
        int fd = file.fd;
        int i = 0;
        long off = offset;
        while (i < n) {
            long rc = toFile
                    ? Native.LIBC.pwritev(fd, iov.addressOf(i), n - i, off)
                    : Native.LIBC.preadv(fd, iov.addressOf(i), n - i, off);
            if (rc < 0) {
                int errno = Native.errno();
                if (errno == LibC.EINTR) {
                    continue;
                }
                m.get(EXECUTE_FAILS).inc();
                long at = off;
                ioErrors.log(Level.WARNING, () -> "drive '" + driveId + "': " + (toFile ? "pwritev" : "preadv") + " at offset " + at
                        + " failed: " + Native.LIBC.strerror(errno));
                return false;
            }
            if (rc == 0) {
                m.get(EXECUTE_FAILS).inc(); // the file shrank under us
                return false;
            }
            off += rc;
            i = iov.advance(i, n, rc);
        }
        return true;
    }

    private int flush() {
        m.get(FLUSH_COUNT).inc();
        if (cacheType == BlockCacheType.WRITEBACK && Native.LIBC.fsync(file.fd) < 0) {
            m.get(EXECUTE_FAILS).inc();
            int errno = Native.errno();
            ioErrors.log(Level.WARNING, () -> "drive '" + driveId + "': fsync failed: " + Native.LIBC.strerror(errno));
            return S_IOERR;
        }
        return S_OK;
    }

    /** 5.2.6.2: one or more {sector u64, num_sectors u32, flags u32} ranges. */
    private int discardOrZero(DescriptorChain c, boolean discard, long payload) {
        if (discard ? !discardNegotiated : !writeZeroesNegotiated) {
            m.get(INVALID_REQS_COUNT).inc();
            return S_UNSUPP;
        }
        if (readOnly || payload == 0 || payload % 16 != 0) {
            m.get(INVALID_REQS_COUNT).inc();
            return S_IOERR;
        }
        for (long off = 16; off < 16 + payload; off += 16) {
            long sector = c.readReadable(off, 8);
            long count = c.readReadable(off + 8, 4);
            int flags = (int) c.readReadable(off + 12, 4);
            if ((discard && flags != 0) || (flags & ~WRITE_ZEROES_FLAG_UNMAP) != 0) {
                m.get(INVALID_REQS_COUNT).inc();
                return S_UNSUPP;
            }
            if (count > MAX_DISCARD_SECTORS || !inRange(sector, count * BlockBackingFile.SECTOR_SIZE)) {
                m.get(INVALID_REQS_COUNT).inc();
                return S_IOERR;
            }
            long start = sector * BlockBackingFile.SECTOR_SIZE;
            long len = count * BlockBackingFile.SECTOR_SIZE;
            if (discard) {
                // Discard is advisory: a file system without hole punching just keeps the data.
                Native.LIBC.fallocate(file.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, start, len);
            } else if (!zeroRange(start, len, (flags & WRITE_ZEROES_FLAG_UNMAP) != 0)) {
                return S_IOERR;
            }
        }
        return S_OK;
    }

    private boolean zeroRange(long start, long len, boolean unmap) {
        int fd = file.fd;
        if (unmap && Native.LIBC.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, start, len) == 0) {
            return true;
        }
        if (Native.LIBC.fallocate(fd, FALLOC_FL_ZERO_RANGE, start, len) == 0
                || Native.LIBC.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, start, len) == 0) {
            return true;
        }
        if (zeroes == null) {
            zeroes = Native.allocate(ZERO_CHUNK);
        }
        for (long done = 0; done < len; ) {
            long n = Math.min(ZERO_CHUNK, len - done);
            long rc = Native.LIBC.pwrite64(fd, zeroes.address(), n, start + done);
            if (rc < 0 && Native.errno() == LibC.EINTR) {
                continue;
            }
            if (rc <= 0) {
                m.get(EXECUTE_FAILS).inc();
                return false;
            }
            done += rc;
        }
        return true;
    }

    @Override
    public void close() {
        if (uring != null) {
            uring.close();
        }
        file.close();
        limiter.close();
    }
}
