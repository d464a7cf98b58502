package dev.ember.devices.virtio.pmem;

import static dev.ember.metrics.FirecrackerMetrics.Pmem.EVENT_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.Pmem.QUEUE_EVENT_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Pmem.RATE_LIMITER_EVENT_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Pmem.RATE_LIMITER_THROTTLED_EVENTS;

import dev.ember.devices.ratelimit.RateLimiter;
import dev.ember.devices.virtio.DescriptorChain;
import dev.ember.devices.virtio.DeviceCounter;
import dev.ember.devices.virtio.DeviceCounters;
import dev.ember.devices.virtio.DeviceMetrics;
import dev.ember.devices.virtio.QueuePass;
import dev.ember.devices.virtio.SplitQueue;
import dev.ember.devices.virtio.Virtio;
import dev.ember.devices.virtio.VirtioDeviceBase;
import dev.ember.devices.virtio.VirtioTransport;
import dev.ember.eventloop.EventLoop;
import dev.ember.eventloop.ThreadConfinement;
import dev.ember.log.Log;
import dev.ember.metrics.FirecrackerMetrics.Pmem;
import dev.ember.metrics.FirecrackerMetrics;
import dev.ember.snapshot.SnapshotFormatException;
import dev.ember.snapshot.StateReader;
import dev.ember.snapshot.StateWriter;
import java.lang.System.Logger.Level;

/**
 * virtio-pmem (virtio 1.2, 5.19): a host file the guest reaches as memory at {@code start},
 * {@code size} bytes (its config space), plus one request queue whose only request is FLUSH.
 * The composition root maps the file ({@link PmemBackingFile}) into guest-physical space as a
 * KVM slot of its own; the device never touches those bytes, it only makes them durable.
 *
 * <p>A request is a device-readable {@code u32 type} followed by a device-writable
 * {@code u32 ret}. FLUSH (type 0) is answered with 0 once fsync(2) of the file returned, or
 * with -1 when it failed. One fsync covers every request that was already in the available
 * ring when it started (the guest stored its data before publishing them), so a burst of
 * flushes costs one fsync, and a request published later gets an fsync of its own. A request
 * of another layout or type is answered with nothing written (used length 0) and counted in
 * {@code event_fails}, as Firecracker does; a chain that is malformed itself (outside guest
 * RAM, cyclic) raises DEVICE_NEEDS_RESET through the queue as for every device. Allocates
 * nothing per request. Event-loop thread, except config-space reads (vCPU threads: final fields).
 */
public final class VirtioPmem extends VirtioDeviceBase {
    private static final System.Logger LOG = Log.logger(VirtioPmem.class);
    public static final int DEVICE_ID = 27;
    public static final int REQ_TYPE_FLUSH = 0;
    /** {@code struct virtio_pmem_config}: le64 start, le64 size. */
    public static final int CONFIG_SIZE = 16, CFG_START = 0, CFG_SIZE = 8;
    /** {@code struct virtio_pmem_req} (le32 type) and {@code struct virtio_pmem_resp} (le32 ret). */
    public static final int REQUEST_BYTES = 4, RESPONSE_BYTES = 4;
    private static final long STATUS_OK = 0;
    private static final long STATUS_FAILED = 0xFFFF_FFFFL; // (u32) -1
    private static final int LOGGED_FAILURES = 10;

    private final String id;
    private final PmemBackingFile file;
    private final long start;
    private final Runnable releaseGuestRegion;
    private final RateLimiter limiter;
    private final DeviceCounters<Pmem> m;
    private final DescriptorChain chain = new DescriptorChain(Virtio.MAX_QUEUE_SIZE);
    private final QueuePass.Server server = this::serve;
    /** Requests after the current one that the last fsync covers (they were published before it started). */
    private int coveredAhead;
    private long lastStatus;
    private int loggedFailures;
    private boolean closed;

    /**
     * @param start              the guest-physical address the file's mapping was given
     * @param releaseGuestRegion removes that mapping from the guest; run by {@link #close} before the file is unmapped
     * @param rateLimiter        null for unlimited; one fsync takes one operation and the file's size in bytes
     */
    public VirtioPmem(String id, PmemBackingFile file, long start, Runnable releaseGuestRegion, RateLimiter rateLimiter) {
        super(DEVICE_ID, "pmem " + id, 1, CONFIG_SIZE, new DeviceMetrics(FirecrackerMetrics.PMEM, id));
        if ((start & (PmemBackingFile.ALIGNMENT - 1)) != 0) {
            throw new IllegalArgumentException(String.format("pmem start 0x%x is not 2 MiB aligned", start));
        }
        this.id = id;
        this.file = file;
        this.start = start;
        this.releaseGuestRegion = releaseGuestRegion;
        this.limiter = rateLimiter == null ? RateLimiter.unlimited() : rateLimiter;
        this.m = metrics.counters(Pmem.class);
        config.put(CFG_START, 8, start).put(CFG_SIZE, 8, file.mappedSize());
    }

    public String id() {
        return id;
    }

    /** Guest-physical address of the region (config space {@code start}). */
    public long start() {
        return start;
    }

    /** Bytes of the region (config space {@code size}): the file rounded up to 2 MiB. */
    public long size() {
        return file.mappedSize();
    }

    public RateLimiter rateLimiter() {
        return limiter;
    }

    @Override public DeviceCounter interruptFailures() { return m.get(Pmem.EVENT_FAILS); }

    @Override
    protected void onAttach(EventLoop eventLoop) {
        attachLimiter(limiter, m.get(RATE_LIMITER_EVENT_COUNT), this::processQueue);
    }

    @Override
    protected void onActivate(VirtioTransport t) {
        coveredAhead = 0;
    }

    @Override
    protected void onReset() {
        coveredAhead = 0;
    }

    @Override
    public void onQueueNotify(int queueIndex) {
        m.get(QUEUE_EVENT_COUNT).inc();
        processQueue();
    }

    private void processQueue() {
        ThreadConfinement.requireLoop(loop, "VirtioPmem.processQueue");
        QueuePass.serve(transport, 0, chain, limiter, server, m.get(EVENT_FAILS));
    }

    /** One request: 4 bytes written (the status), 0 for a request it does not take, or PUT_BACK when throttled. */
    private long serve(DescriptorChain c) {
        boolean covered = coveredAhead > 0;
        if (!wellFormed(c)) {
            consumeCoverage(covered);
            m.get(EVENT_FAILS).inc();
            return 0;
        }
        if (c.readReadable(0, REQUEST_BYTES) != REQ_TYPE_FLUSH) {
            consumeCoverage(covered);
            m.get(EVENT_FAILS).inc();
            return 0;
        }
        if (!covered) {
            if (!limiter.consume(file.fileSize(), 1)) {
                m.get(RATE_LIMITER_THROTTLED_EVENTS).inc();
                return QueuePass.PUT_BACK; // popped back: its coverage is still owed
            }
            SplitQueue q = transport.queue(0);
            coveredAhead = q.pending(); // published before the fsync starts: their data is in the page cache
            int errno = file.flush();
            lastStatus = errno == 0 ? STATUS_OK : STATUS_FAILED;
            if (errno != 0) {
                m.get(EVENT_FAILS).inc();
                logFailure(errno);
            }
        } else {
            coveredAhead--;
        }
        c.writeWritable(0, RESPONSE_BYTES, lastStatus);
        return RESPONSE_BYTES;
    }

    private void consumeCoverage(boolean covered) {
        if (covered) {
            coveredAhead--;
        }
    }

    /** One readable u32 (the type), then a writable u32 (the status); more writable bytes are left alone. */
    private static boolean wellFormed(DescriptorChain c) {
        return c.readableCount() == 1 && c.length(0) == REQUEST_BYTES && c.count() >= 2 && c.length(1) == RESPONSE_BYTES;
    }

    private void logFailure(int errno) {
        if (loggedFailures < LOGGED_FAILURES) {
            loggedFailures++;
            LOG.log(Level.WARNING, "pmem ''{0}'': fsync of {1} failed: {2}", id, file.path(), dev.ember.sys.Native.LIBC.strerror(errno));
        }
    }

    @Override
    public void saveDeviceState(StateWriter out) {
        out.i64(start).i64(file.mappedSize());
    }

    @Override
    public void restoreDeviceState(StateReader in) {
        long savedStart = in.i64("pmem start");
        long savedSize = in.i64("pmem size");
        if (savedStart != start || savedSize != file.mappedSize()) {
            throw in.invalid("pmem '" + id + "'", String.format("the snapshot has it at 0x%x with %d bytes, but %s now maps"
                    + " at 0x%x with %d bytes; give the backing files the sizes they had when the snapshot was taken",
                    savedStart, savedSize, file.path(), start, file.mappedSize()));
        }
    }

    /** Takes the region out of the guest, then unmaps and closes the file. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        limiter.close();
        try {
            releaseGuestRegion.run();
        } finally {
            file.close();
        }
    }
}
