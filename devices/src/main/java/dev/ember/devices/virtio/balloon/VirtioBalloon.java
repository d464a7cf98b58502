package dev.ember.devices.virtio.balloon;

import static dev.ember.metrics.FirecrackerMetrics.Balloon.DEFLATE_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Balloon.EVENT_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.Balloon.FREE_PAGE_HINT_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Balloon.FREE_PAGE_HINT_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.Balloon.FREE_PAGE_HINT_FREED;
import static dev.ember.metrics.FirecrackerMetrics.Balloon.FREE_PAGE_REPORT_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Balloon.FREE_PAGE_REPORT_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.Balloon.FREE_PAGE_REPORT_FREED;
import static dev.ember.metrics.FirecrackerMetrics.Balloon.INFLATE_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Balloon.STATS_UPDATES_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Balloon.STATS_UPDATE_FAILS;

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
import dev.ember.eventloop.TimerFd;
import dev.ember.memory.GuestMemory;
import dev.ember.memory.GuestMemoryException;
import dev.ember.metrics.FirecrackerMetrics.Balloon;
import dev.ember.metrics.FirecrackerMetrics;
import dev.ember.snapshot.StateReader;
import dev.ember.snapshot.StateWriter;
import dev.ember.sys.LibC;

/**
 * virtio-balloon (virtio 1.2, 5.5) with Firecracker's options: a target size the host sets, the
 * inflate queue's pages given back to the host ({@link GuestMemory#discard}), deflate-on-OOM
 * offered to the driver, memory statistics requested on a timer of the event loop, free page
 * reporting (the reported ranges are discarded too) and free page hinting runs the host starts
 * and stops.
 *
 * <p>Queues: inflate and deflate always; then statistics, hinting and reporting, each only when
 * negotiated. The driver numbers the queues it uses consecutively (Linux skips absent ones), so
 * the role of queue 2.. is fixed at activation from the negotiated features.
 *
 * <p>Bounds: an inflate or deflate chain carries at most {@link #MAX_PFNS_PER_CHAIN} page
 * numbers (Linux sends 256); longer ones, page numbers outside guest RAM and chains in the wrong
 * direction are skipped and counted in {@code event_fails}, and the device goes on. Nothing on
 * the queue paths allocates.
 */
public final class VirtioBalloon extends VirtioDeviceBase {
    public static final int DEVICE_ID = 5;
    // 5.5.3 feature bits
    public static final int F_MUST_TELL_HOST = 0, F_STATS_VQ = 1, F_DEFLATE_ON_OOM = 2, F_FREE_PAGE_HINT = 3,
            F_PAGE_POISON = 4, F_PAGE_REPORTING = 5;
    // struct virtio_balloon_config (5.5.4)
    public static final int CFG_NUM_PAGES = 0, CFG_ACTUAL = 4, CFG_FREE_PAGE_HINT_CMD_ID = 8, CFG_POISON_VAL = 12,
            CFG_SIZE = 16;
    /** Hinting command ids (5.5.6.7): the guest stops hinting / may reuse its hinted pages. */
    public static final int CMD_ID_STOP = 0, CMD_ID_DONE = 1;
    public static final int PAGE_SHIFT = 12;
    public static final long PAGES_PER_MIB = 256;
    public static final int MAX_PFNS_PER_CHAIN = 256;
    static final int INFLATE = 0, DEFLATE = 1, STATS = 2, HINT = 3, REPORT = 4;

    private final long features;
    private final DeviceCounters<Balloon> m = metrics.counters(Balloon.class);
    private final BalloonStatistics stats = new BalloonStatistics();
    private final DescriptorChain chain = new DescriptorChain(Virtio.MAX_QUEUE_SIZE);
    private final QueuePass.Server inflate = this::serveInflate;
    private final QueuePass.Server deflate = this::serveDeflate;
    private final QueuePass.Server statsBuffers = this::serveStatsBuffer;
    private final QueuePass.Server hints = this::serveHint;
    private final QueuePass.Server reports = this::serveReport;
    /** Role of each transport queue index, set at activation (-1: none). */
    private final int[] roleOf = new int[5];
    private final boolean statsConfigured;
    private final boolean hintingConfigured;
    private TimerFd statsTimer;

    private volatile int targetPages;
    private volatile int actualPages;
    private volatile int hintCmdId = CMD_ID_STOP;
    /** The last hinting command id the guest sent, or -1 for none yet. */
    private volatile long guestCmdId = -1;
    private volatile boolean ackOnStop = true;
    private volatile boolean active;
    private volatile long statsIntervalSeconds;
    /** The statistics buffer the device holds until it wants fresh numbers, or -1. */
    private int statsHead = -1;
    private int nextCmdId = 2;
    /** A hinting pass moved the command id to DONE: the driver is told after the pass. */
    private boolean hintCmdChanged;
    /** A statistics pass gave a held buffer back (the driver sent a second one). */
    private boolean staleStatsReturned;

    /**
     * @param amountMib           the initial target ({@code amount_mib})
     * @param deflateOnOom        offer VIRTIO_BALLOON_F_DEFLATE_ON_OOM
     * @param statsIntervalSeconds 0: no statistics queue; else seconds between statistics requests
     * @param freePageHinting     offer VIRTIO_BALLOON_F_FREE_PAGE_HINT
     * @param freePageReporting   offer VIRTIO_BALLOON_F_PAGE_REPORTING
     */
    public VirtioBalloon(long amountMib, boolean deflateOnOom, long statsIntervalSeconds, boolean freePageHinting,
            boolean freePageReporting) {
        this(offered(deflateOnOom, statsIntervalSeconds, freePageHinting, freePageReporting), amountMib, statsIntervalSeconds,
                freePageHinting);
    }

    private VirtioBalloon(long features, long amountMib, long statsIntervalSeconds, boolean freePageHinting) {
        super(DEVICE_ID, "balloon", 2 + Long.bitCount(features & (Virtio.bit(F_STATS_VQ) | Virtio.bit(F_FREE_PAGE_HINT)
                | Virtio.bit(F_PAGE_REPORTING))), 0, DeviceMetrics.single(FirecrackerMetrics.BALLOON));
        this.features = features;
        this.statsConfigured = statsIntervalSeconds > 0;
        this.hintingConfigured = freePageHinting;
        this.statsIntervalSeconds = statsIntervalSeconds;
        this.targetPages = pages(amountMib);
        java.util.Arrays.fill(roleOf, -1);
    }

    private static long offered(boolean deflateOnOom, long statsIntervalSeconds, boolean freePageHinting, boolean freePageReporting) {
        long f = Virtio.RING_FEATURES;
        if (deflateOnOom) {
            f |= Virtio.bit(F_DEFLATE_ON_OOM);
        }
        if (statsIntervalSeconds > 0) {
            f |= Virtio.bit(F_STATS_VQ);
        }
        if (freePageHinting) {
            f |= Virtio.bit(F_FREE_PAGE_HINT);
        }
        if (freePageReporting) {
            f |= Virtio.bit(F_PAGE_REPORTING);
        }
        return f;
    }

    private static int pages(long mib) {
        if (mib < 0 || mib * PAGES_PER_MIB > 0xFFFF_FFFFL) {
            throw new BalloonException(BalloonException.Reason.TOO_MANY_PAGES, "balloon target of " + mib
                    + " MiB does not fit in 32-bit page counts");
        }
        return (int) (mib * PAGES_PER_MIB);
    }

    // ---- what the host asks (any thread) ------------------------------------------------------

    /** Whether the guest driver is using the device (DRIVER_OK seen, no reset since). */
    public boolean activated() {
        return active;
    }

    public long targetPages() {
        return targetPages & 0xFFFF_FFFFL;
    }

    /** Pages the guest says the balloon holds ({@code actual}, written by the driver). */
    public long actualPages() {
        return actualPages & 0xFFFF_FFFFL;
    }

    /**
     * A new target (PATCH /balloon): published in config space, and the driver is told through a
     * configuration-change interrupt.
     *
     * @throws BalloonException NOT_ACTIVATED before the guest's driver took the device
     */
    public void setTarget(long amountMib) {
        int p = pages(amountMib);
        requireActive();
        targetPages = p;
        loop.execute(this::configChangedOnLoop);
    }

    /** Statistics as last reported by the guest. */
    public BalloonStatistics.Snapshot statistics() {
        if (!statsConfigured) {
            throw new BalloonException(BalloonException.Reason.STATISTICS_DISABLED, "balloon statistics are not enabled");
        }
        return stats.snapshot();
    }

    public long statsIntervalSeconds() {
        return statsIntervalSeconds;
    }

    /**
     * A new statistics interval (PATCH /balloon/statistics), taking effect now. Statistics
     * configured off at boot cannot be switched on (there is no queue), nor switched off.
     */
    public void setStatsInterval(long seconds) {
        if (!statsConfigured || seconds <= 0) {
            throw new BalloonException(BalloonException.Reason.STATISTICS_DISABLED,
                    "balloon statistics can only change between non-zero intervals when configured at boot");
        }
        statsIntervalSeconds = seconds;
        if (loop != null) {
            loop.execute(this::armStatsTimer);
        }
    }

    /** Starts a free page hinting run: a fresh command id in config space, config interrupt. */
    public void startHinting(boolean acknowledgeOnStop) {
        requireHinting();
        requireActive();
        loop.execute(() -> {
            ackOnStop = acknowledgeOnStop;
            hintCmdId = nextCmdId;
            nextCmdId = nextCmdId == -1 ? 2 : nextCmdId + 1; // ids stay clear of STOP and DONE
            configChangedOnLoop();
        });
    }

    /** Ends a run: DONE tells the guest it may reuse the pages it hinted. */
    public void stopHinting() {
        requireHinting();
        requireActive();
        loop.execute(() -> {
            hintCmdId = CMD_ID_DONE;
            configChangedOnLoop();
        });
    }

    /** The host's current command id and the guest's last one (-1: none yet). */
    public long[] hintingStatus() {
        requireHinting();
        return new long[] {hintCmdId & 0xFFFF_FFFFL, guestCmdId};
    }

    private void requireHinting() {
        if (!hintingConfigured) {
            throw new BalloonException(BalloonException.Reason.HINTING_DISABLED, "free page hinting is not enabled");
        }
    }

    private void requireActive() {
        if (!active) {
            throw new BalloonException(BalloonException.Reason.NOT_ACTIVATED, "the guest has not activated the balloon device yet");
        }
    }

    private void configChangedOnLoop() {
        VirtioTransport t = transport;
        if (t != null) {
            t.configChanged();
        }
    }

    // ---- VirtioDevice --------------------------------------------------------------------------

    @Override public long deviceFeatures() { return features; }
    @Override public boolean queueRequired(int queueIndex) { return queueIndex < 2; }
    @Override public DeviceCounter interruptFailures() { return m.get(Balloon.EVENT_FAILS); }

    @Override
    public long readConfig(int offset, int size) {
        if (!metrics.configAccessValid(offset, size, CFG_SIZE)) {
            return 0;
        }
        long v = 0;
        for (int i = 0; i < size; i++) {
            int off = offset + i;
            int field = switch (off & ~3) {
                case CFG_NUM_PAGES -> targetPages;
                case CFG_ACTUAL -> actualPages;
                case CFG_FREE_PAGE_HINT_CMD_ID -> hintCmdId;
                default -> 0; // poison_val: F_PAGE_POISON is not offered
            };
            v |= ((field >>> (8 * (off & 3))) & 0xFFL) << (8 * i);
        }
        return v;
    }

    @Override
    public void writeConfig(int offset, int size, long value) {
        if (offset == CFG_ACTUAL && size == 4) {
            actualPages = (int) value;
            return;
        }
        metrics.cfgFails.inc(); // only actual is the driver's to write
    }

    @Override
    protected void onAttach(EventLoop eventLoop) {
        if (statsConfigured) {
            statsTimer = new TimerFd();
            eventLoop.register(statsTimer.fd(), LibC.EPOLLIN, events -> onStatsTimer());
        }
    }

    @Override
    protected void onActivate(VirtioTransport t) {
        long f = t.negotiatedFeatures();
        java.util.Arrays.fill(roleOf, -1);
        roleOf[0] = INFLATE;
        roleOf[1] = DEFLATE;
        int next = 2;
        if ((f & Virtio.bit(F_STATS_VQ)) != 0) {
            roleOf[next++] = STATS;
        }
        if ((f & Virtio.bit(F_FREE_PAGE_HINT)) != 0) {
            roleOf[next++] = HINT;
        }
        if ((f & Virtio.bit(F_PAGE_REPORTING)) != 0) {
            roleOf[next++] = REPORT;
        }
        active = true;
        armStatsTimer();
    }

    @Override
    protected void onReset() {
        active = false;
        statsHead = -1;
        actualPages = 0;
        if (statsTimer != null) {
            statsTimer.disarm();
        }
    }

    private void armStatsTimer() {
        if (statsTimer != null && active) {
            long ns = statsIntervalSeconds * 1_000_000_000L;
            statsTimer.arm(ns, ns);
        }
    }

    @Override
    public void onQueueNotify(int queueIndex) {
        ThreadConfinement.requireLoop(loop, "VirtioBalloon.onQueueNotify");
        VirtioTransport t = transport;
        if (t == null || t.broken() || queueIndex < 0 || queueIndex >= roleOf.length) {
            return;
        }
        int role = roleOf[queueIndex];
        if (role < 0) {
            return;
        }
        switch (role) {
            case INFLATE -> QueuePass.serve(t, queueIndex, chain, inflate, m.get(EVENT_FAILS));
            case DEFLATE -> QueuePass.serve(t, queueIndex, chain, deflate, m.get(EVENT_FAILS));
            case STATS -> {
                staleStatsReturned = false;
                QueuePass.serve(t, queueIndex, chain, statsBuffers, m.get(EVENT_FAILS));
                if (staleStatsReturned) {
                    t.notifyUsed(t.queue(queueIndex));
                }
            }
            case HINT -> {
                hintCmdChanged = false;
                QueuePass.serve(t, queueIndex, chain, hints, m.get(EVENT_FAILS));
                if (hintCmdChanged && !t.broken()) {
                    t.configChanged();
                }
            }
            default -> QueuePass.serve(t, queueIndex, chain, reports, m.get(EVENT_FAILS));
        }
    }

    /** Inflate: every listed page goes back to the host, runs of pages in one call. */
    private long serveInflate(DescriptorChain c) {
        m.get(INFLATE_COUNT).inc();
        if (isPageArray(c)) {
            discardPages(c, transport.memory(), c.readableBytes() / 4);
        }
        return 0;
    }

    /** Deflate: acknowledged (the guest may touch the pages again; they fault in fresh). */
    private long serveDeflate(DescriptorChain c) {
        m.get(DEFLATE_COUNT).inc();
        isPageArray(c); // a malformed array is only counted: there is nothing to give back either way
        return 0;
    }

    private boolean isPageArray(DescriptorChain c) {
        long bytes = c.readableBytes();
        if (c.writableBytes() != 0 || bytes % 4 != 0 || bytes / 4 > MAX_PFNS_PER_CHAIN) {
            m.get(EVENT_FAILS).inc(); // not a page-number array: skipped, the device goes on
            return false;
        }
        return true;
    }

    private void discardPages(DescriptorChain c, GuestMemory mem, long count) {
        long runStart = -1;
        long runPages = 0;
        for (long i = 0; i < count; i++) {
            long pfn = c.readReadable(4 * i, 4);
            if (runPages > 0 && pfn == runStart + runPages) {
                runPages++;
                continue;
            }
            if (runPages > 0) {
                discardRun(mem, runStart, runPages);
            }
            runStart = pfn;
            runPages = 1;
        }
        if (runPages > 0) {
            discardRun(mem, runStart, runPages);
        }
    }

    private void discardRun(GuestMemory mem, long pfn, long pages) {
        if (!mem.discard(pfn << PAGE_SHIFT, pages << PAGE_SHIFT)) {
            m.get(EVENT_FAILS).inc(); // outside guest RAM (or across the MMIO gap): nothing to give back
        }
    }

    /**
     * The driver hands its statistics buffer over: read it and keep it (the pass leaves it in
     * flight) until the timer fires and gives it back.
     */
    private long serveStatsBuffer(DescriptorChain c) {
        m.get(STATS_UPDATES_COUNT).inc();
        if (statsHead >= 0) {
            // A second buffer: the driver broke the protocol; give the old one back.
            transport.queue(indexOf(STATS)).addUsed(statsHead, 0);
            staleStatsReturned = true;
            m.get(STATS_UPDATE_FAILS).inc();
        }
        long bytes = c.readableBytes();
        if (c.writableBytes() != 0 || bytes % BalloonStatistics.ENTRY_BYTES != 0) {
            m.get(STATS_UPDATE_FAILS).inc();
        }
        long n = Math.min(bytes / BalloonStatistics.ENTRY_BYTES, 64);
        for (long i = 0; i < n; i++) {
            int tag = (int) c.readReadable(i * BalloonStatistics.ENTRY_BYTES, 2);
            long val = c.readReadable(i * BalloonStatistics.ENTRY_BYTES + 2, 8);
            if (tag < BalloonStatistics.TAGS) {
                stats.set(tag, val);
            }
        }
        stats.updated();
        statsHead = c.head();
        return QueuePass.IN_FLIGHT;
    }

    private void onStatsTimer() {
        ThreadConfinement.requireLoop(loop, "VirtioBalloon.onStatsTimer");
        statsTimer.read();
        VirtioTransport t = transport;
        if (t == null || t.broken() || statsHead < 0) {
            return; // no buffer to hand back: the driver has not answered the last request yet
        }
        int queueIndex = indexOf(STATS);
        if (queueIndex < 0) {
            return;
        }
        SplitQueue q = t.queue(queueIndex);
        try {
            q.addUsed(statsHead, 0);
        } catch (GuestMemoryException e) {
            t.deviceError(e);
            return;
        }
        statsHead = -1;
        t.notifyUsed(q);
    }

    private int indexOf(int role) {
        for (int i = 0; i < roleOf.length; i++) {
            if (roleOf[i] == role) {
                return i;
            }
        }
        return -1;
    }

    /** Hinting: command ids come as device-readable u32s, hinted free blocks as device-writable buffers. */
    private long serveHint(DescriptorChain c) {
        if (c.readableBytes() >= 4 && c.writableBytes() == 0) {
            long cmd = c.readReadable(0, 4);
            guestCmdId = cmd;
            if (cmd == CMD_ID_STOP && ackOnStop && hintCmdId != CMD_ID_DONE && hintCmdId != CMD_ID_STOP) {
                hintCmdId = CMD_ID_DONE;
                hintCmdChanged = true;
            }
        } else if (c.readableBytes() == 0 && c.writableBytes() > 0) {
            m.get(FREE_PAGE_HINT_COUNT).inc();
            boolean running = (hintCmdId & 0xFFFF_FFFFL) >= 2 && guestCmdId == (hintCmdId & 0xFFFF_FFFFL);
            if (running) {
                discardWritable(c, true);
            }
        } else {
            m.get(FREE_PAGE_HINT_FAILS).inc();
        }
        return 0;
    }

    /** Reporting: each device-writable buffer is a free range the guest will not touch until it is used. */
    private long serveReport(DescriptorChain c) {
        m.get(FREE_PAGE_REPORT_COUNT).inc();
        if (c.readableBytes() != 0) {
            m.get(FREE_PAGE_REPORT_FAILS).inc();
        } else {
            discardWritable(c, false);
        }
        return 0;
    }

    private void discardWritable(DescriptorChain c, boolean hint) {
        GuestMemory mem = transport.memory();
        for (int i = c.readableCount(); i < c.count(); i++) {
            long len = c.length(i);
            if (len == 0) {
                continue;
            }
            if (mem.discard(c.address(i), len)) {
                (hint ? m.get(FREE_PAGE_HINT_FREED) : m.get(FREE_PAGE_REPORT_FREED)).add(len);
            } else {
                (hint ? m.get(FREE_PAGE_HINT_FAILS) : m.get(FREE_PAGE_REPORT_FAILS)).inc();
            }
        }
    }

    // ---- snapshots -----------------------------------------------------------------------------

    @Override
    public void saveDeviceState(StateWriter out) {
        ThreadConfinement.requireLoop(loop, "VirtioBalloon.saveDeviceState");
        BalloonStatistics.Snapshot s = stats.snapshot();
        out.i32(targetPages).i32(actualPages).i32(hintCmdId).i64(guestCmdId).bool(ackOnStop).i32(nextCmdId);
        out.i64(statsIntervalSeconds).i32(statsHead).longs(s.values()).i32(s.present()).i64(s.updates());
    }

    @Override
    public void restoreDeviceState(StateReader in) {
        ThreadConfinement.requireLoop(loop, "VirtioBalloon.restoreDeviceState");
        targetPages = in.i32("balloon num_pages");
        actualPages = in.i32("balloon actual");
        hintCmdId = in.i32("balloon free_page_hint_cmd_id");
        guestCmdId = in.i64("balloon guest hinting command");
        ackOnStop = in.bool("balloon acknowledge_on_stop");
        nextCmdId = in.i32("balloon next hinting command");
        long interval = in.i64("balloon statistics interval");
        statsHead = in.i32("balloon statistics buffer", -1, Virtio.MAX_QUEUE_SIZE - 1);
        long[] values = in.longs("balloon statistics", BalloonStatistics.TAGS);
        int present = in.i32("balloon statistics present");
        long updates = in.i64("balloon statistics updates");
        if (statsConfigured && interval > 0) {
            statsIntervalSeconds = interval;
        }
        stats.restore(values, present, updates);
    }

    @Override
    public void close() {
        if (statsTimer != null) {
            loop.unregister(statsTimer.fd());
            statsTimer.close();
        }
    }
}
