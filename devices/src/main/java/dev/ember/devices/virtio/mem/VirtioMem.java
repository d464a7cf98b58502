package dev.ember.devices.virtio.mem;

import static dev.ember.metrics.FirecrackerMetrics.MemoryHotplug.PLUG_AGG;
import static dev.ember.metrics.FirecrackerMetrics.MemoryHotplug.PLUG_BYTES;
import static dev.ember.metrics.FirecrackerMetrics.MemoryHotplug.PLUG_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.MemoryHotplug.PLUG_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.MemoryHotplug.QUEUE_EVENT_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.MemoryHotplug.QUEUE_EVENT_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.MemoryHotplug.STATE_AGG;
import static dev.ember.metrics.FirecrackerMetrics.MemoryHotplug.STATE_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.MemoryHotplug.STATE_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.MemoryHotplug.UNPLUG_AGG;
import static dev.ember.metrics.FirecrackerMetrics.MemoryHotplug.UNPLUG_ALL_AGG;
import static dev.ember.metrics.FirecrackerMetrics.MemoryHotplug.UNPLUG_ALL_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.MemoryHotplug.UNPLUG_ALL_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.MemoryHotplug.UNPLUG_BYTES;
import static dev.ember.metrics.FirecrackerMetrics.MemoryHotplug.UNPLUG_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.MemoryHotplug.UNPLUG_DISCARD_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.MemoryHotplug.UNPLUG_FAILS;

import dev.ember.devices.virtio.DescriptorChain;
import dev.ember.devices.virtio.DeviceCounters;
import dev.ember.devices.virtio.DeviceMetrics;
import dev.ember.devices.virtio.QueuePass;
import dev.ember.devices.virtio.Virtio;
import dev.ember.devices.virtio.VirtioDeviceBase;
import dev.ember.devices.virtio.VirtioTransport;
import dev.ember.eventloop.ThreadConfinement;
import dev.ember.log.Log;
import dev.ember.memory.GuestMemory;
import dev.ember.metrics.FirecrackerMetrics;
import dev.ember.metrics.FirecrackerMetrics.MemoryHotplug;
import dev.ember.snapshot.StateReader;
import dev.ember.snapshot.StateWriter;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * virtio-mem (virtio 1.2, 5.15): a range of guest-physical memory above RAM, in blocks the guest
 * plugs and unplugs on request. The host sets {@code requested_size} ({@link #setRequestedSize});
 * the guest's driver plugs or unplugs blocks until {@code plugged_size} matches it.
 *
 * <p>Protection (VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE, which the driver must accept): the range is
 * cut into KVM slots of {@code slot_size}; a slot is in the guest's memory only while at least
 * one of its blocks is plugged ({@link Slots}), so a guest touching memory it never plugged
 * exits to an empty MMIO bus instead of reaching host memory, and device accesses to unplugged
 * blocks fail ({@link #plugged}, which {@link GuestMemory#attachHotplug} consults). An unplugged
 * block's pages go back to the host at once ({@link HotplugRam#discard}).
 *
 * <p>Requests (one queue): PLUG, UNPLUG and STATE of {@code nb_blocks} blocks at {@code addr},
 * and UNPLUG_ALL. A range that is not block-aligned, empty, or not inside the usable region is
 * answered ERROR, as is plugging a range that is not wholly unplugged or unplugging one that is
 * not wholly plugged; plugging past {@code requested_size} is answered NACK. The device never
 * answers BUSY: every request completes at once. A request of an unknown type or too short
 * is answered ERROR; a chain with no room for the 10-byte response gets nothing written (used
 * length 0). Each is counted ({@code *_fails}, {@code queue_event_fails}) and the device goes on:
 * nothing a guest sends can stop the VMM. Allocates nothing per request. Event-loop thread,
 * except config-space reads (vCPU threads, behind the config space's seqlock) and the host's
 * calls, which say so.
 */
public final class VirtioMem extends VirtioDeviceBase {
    private static final System.Logger LOG = Log.logger(VirtioMem.class);
    public static final int DEVICE_ID = 24;
    public static final int F_ACPI_PXM = 0, F_UNPLUGGED_INACCESSIBLE = 1;
    public static final int REQ_PLUG = 0, REQ_UNPLUG = 1, REQ_UNPLUG_ALL = 2, REQ_STATE = 3;
    public static final int RESP_ACK = 0, RESP_NACK = 1, RESP_BUSY = 2, RESP_ERROR = 3;
    public static final int STATE_PLUGGED = 0, STATE_UNPLUGGED = 1, STATE_MIXED = 2;
    /** {@code struct virtio_mem_config}. */
    public static final int CFG_BLOCK_SIZE = 0, CFG_NODE_ID = 8, CFG_ADDR = 16, CFG_REGION_SIZE = 24,
            CFG_USABLE_REGION_SIZE = 32, CFG_PLUGGED_SIZE = 40, CFG_REQUESTED_SIZE = 48, CONFIG_SIZE = 56;
    /** {@code struct virtio_mem_req}: le16 type, padding, then addr and nb_blocks of plug/unplug/state. */
    public static final int REQ_TYPE = 0, REQ_HEADER_BYTES = 8, REQ_ADDR = 8, REQ_NB_BLOCKS = 16, REQUEST_BYTES = 24;
    /** {@code struct virtio_mem_resp}: le16 type, padding, le16 state. */
    public static final int RESP_TYPE = 0, RESP_STATE = 8, RESPONSE_BYTES = 10;
    public static final long MIB = 1L << 20;
    private static final int LOGGED_FAILURES = 10;

    /** Puts the range's KVM slots in and out of the guest's memory (the composition root's VM). */
    public interface Slots {
        void map(int slot);

        void unmap(int slot);
    }

    private final long addr;
    private final long regionSize;
    private final long blockSize;
    private final long slotSize;
    private final int blocks;
    private final int blocksPerSlot;
    private final HotplugRam ram;
    private final Slots slots;
    /** One bit per block; the event loop writes, any thread reads ({@link #plugged}). */
    private final AtomicLongArray pluggedBits;
    private final DeviceCounters<MemoryHotplug> m = metrics.counters(MemoryHotplug.class);
    private final DescriptorChain chain = new DescriptorChain(Virtio.MAX_QUEUE_SIZE);
    private final QueuePass.Server server = this::serve;
    private final Runnable applyRequested = this::applyRequestedOnLoop;
    private volatile boolean active;
    private volatile long requestedSize;
    private volatile long pluggedSize;
    /** Event loop only. */
    private long usableSize;
    private int pluggedBlocks;
    private int loggedFailures;
    private boolean closed;

    /**
     * @param addr      where the range starts in guest-physical memory (a multiple of {@code slotSize}'s block size)
     * @param ram       the host memory behind it (its size is the region size)
     * @param blockSize the guest's unit of (un)plugging, a power of two
     * @param slotSize  the host's unit of KVM slots, a multiple of {@code blockSize} dividing the region
     * @param slots     maps and unmaps slot {@code i} of the range (all start unmapped)
     */
    public VirtioMem(long addr, HotplugRam ram, long blockSize, long slotSize, Slots slots) {
        super(DEVICE_ID, "virtio-mem", 1, CONFIG_SIZE, DeviceMetrics.single(FirecrackerMetrics.MEMORY_HOTPLUG));
        long size = ram.size();
        if (blockSize <= 0 || Long.bitCount(blockSize) != 1 || slotSize % blockSize != 0 || size % slotSize != 0
                || addr % blockSize != 0 || size / blockSize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(String.format("virtio-mem region 0x%x +0x%x with blocks of 0x%x in slots of 0x%x",
                    addr, size, blockSize, slotSize));
        }
        this.addr = addr;
        this.regionSize = size;
        this.blockSize = blockSize;
        this.slotSize = slotSize;
        this.blocks = (int) (size / blockSize);
        this.blocksPerSlot = (int) (slotSize / blockSize);
        this.ram = ram;
        this.slots = slots;
        this.pluggedBits = new AtomicLongArray((blocks + 63) / 64);
        config.put(CFG_BLOCK_SIZE, 8, blockSize).put(CFG_ADDR, 8, addr).put(CFG_REGION_SIZE, 8, size);
    }

    // ---- what the host asks (any thread) ------------------------------------------------------

    public long address() { return addr; }
    public long regionSize() { return regionSize; }
    public long blockSize() { return blockSize; }
    public long slotSize() { return slotSize; }
    public long requestedSize() { return requestedSize; }
    /** Bytes the guest has plugged (config space {@code plugged_size}). */
    public long pluggedSize() { return pluggedSize; }

    /** Whether the guest's driver is using the device (DRIVER_OK seen, no reset since). */
    public boolean activated() {
        return active;
    }

    /**
     * A new target (PATCH /hotplug/memory): published in config space with a configuration-change
     * interrupt, the usable region grown to cover it (in whole slots; it never shrinks here).
     *
     * @throws VirtioMemException NOT_ACTIVE before the guest's driver took the device; INVALID_SIZE
     *         for a size that is not a multiple of the block size or exceeds the region
     */
    public void setRequestedSize(long bytes) {
        if (!active) {
            throw new VirtioMemException(VirtioMemException.Reason.NOT_ACTIVE, "Device is not active");
        }
        if (bytes < 0 || bytes % blockSize != 0 || bytes > regionSize) {
            throw new VirtioMemException(VirtioMemException.Reason.INVALID_SIZE, "Size " + bytes
                    + " is invalid: it must be a multiple of block size and less than the total size");
        }
        requestedSize = bytes;
        loop.execute(applyRequested);
    }

    private void applyRequestedOnLoop() {
        ThreadConfinement.requireLoop(loop, "VirtioMem.applyRequestedOnLoop");
        long requested = requestedSize;
        config.beginUpdate();
        if (usableSize < requested) {
            usableSize = roundUp(requested, slotSize);
            config.put(CFG_USABLE_REGION_SIZE, 8, usableSize);
        }
        config.put(CFG_REQUESTED_SIZE, 8, requested);
        config.endUpdate();
        VirtioTransport t = transport;
        if (t != null) {
            t.configChanged();
        }
    }

    /**
     * Whether every block touching {@code [offset, offset+len)} of the range is plugged. What
     * guest-memory accesses to the range are checked with. Allocation-free, any thread.
     */
    public boolean plugged(long offset, long len) {
        if (offset < 0 || len < 0 || offset > regionSize - len) {
            return false;
        }
        if (len == 0) {
            return true;
        }
        long first = offset / blockSize;
        long last = (offset + len - 1) / blockSize;
        for (long b = first; b <= last; b++) {
            if (!isPlugged((int) b)) {
                return false;
            }
        }
        return true;
    }

    private boolean isPlugged(int block) {
        return (pluggedBits.get(block >>> 6) & (1L << (block & 63))) != 0;
    }

    // ---- VirtioDevice --------------------------------------------------------------------------

    @Override
    public long deviceFeatures() {
        return Virtio.RING_FEATURES | Virtio.bit(F_UNPLUGGED_INACCESSIBLE);
    }

    @Override
    protected void onActivate(VirtioTransport t) {
        if ((t.negotiatedFeatures() & Virtio.bit(F_UNPLUGGED_INACCESSIBLE)) == 0) {
            // Without it the guest may read unplugged memory, which the slots forbid.
            throw new IllegalStateException("the driver did not accept VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE"
                    + " (a guest kernel of 5.16 or later is needed)");
        }
        active = true;
    }

    /** A reset keeps the plugged blocks: the driver starts over with UNPLUG_ALL, as the spec expects. */
    @Override
    protected void onReset() {
        active = false;
    }

    @Override
    public void onQueueNotify(int queueIndex) {
        ThreadConfinement.requireLoop(loop, "VirtioMem.onQueueNotify");
        m.get(QUEUE_EVENT_COUNT).inc();
        QueuePass.serve(transport, 0, chain, server, m.get(QUEUE_EVENT_FAILS));
    }

    /** One request: the response's 10 bytes written, or 0 when the chain has no room for one. */
    private long serve(DescriptorChain c) {
        if (c.writableBytes() < RESPONSE_BYTES) {
            m.get(QUEUE_EVENT_FAILS).inc();
            logFailure("a request without room for its response");
            return 0;
        }
        if (c.readableBytes() < REQ_HEADER_BYTES) {
            return badRequest(c, "a request shorter than its header");
        }
        int type = (int) c.readReadable(REQ_TYPE, 2);
        if (type == REQ_UNPLUG_ALL) {
            return respond(c, unplugAll(), 0);
        }
        if (type != REQ_PLUG && type != REQ_UNPLUG && type != REQ_STATE) {
            return badRequest(c, "a request of unknown type");
        }
        if (c.readableBytes() < REQUEST_BYTES) {
            return badRequest(c, "a request shorter than virtio_mem_req");
        }
        long gpa = c.readReadable(REQ_ADDR, 8);
        int nb = (int) c.readReadable(REQ_NB_BLOCKS, 2);
        if (type == REQ_PLUG) {
            return respond(c, plug(gpa, nb), 0);
        }
        if (type == REQ_UNPLUG) {
            return respond(c, unplug(gpa, nb), 0);
        }
        return state(c, gpa, nb);
    }

    private long badRequest(DescriptorChain c, String what) {
        m.get(QUEUE_EVENT_FAILS).inc();
        logFailure(what);
        return respond(c, RESP_ERROR, 0);
    }

    private long respond(DescriptorChain c, int type, int state) {
        c.writeWritable(RESP_TYPE, 8, type); // type and the zero padding
        c.writeWritable(RESP_STATE, 2, state);
        return RESPONSE_BYTES;
    }

    private int plug(long gpa, int nb) {
        long t0 = System.nanoTime();
        m.get(PLUG_COUNT).inc();
        int resp;
        long bytes = nb * blockSize;
        if (!validRange(gpa, nb)) {
            resp = RESP_ERROR;
        } else if (pluggedSize + bytes > requestedSize) {
            resp = RESP_NACK; // more than the host asked for
        } else if (rangeState(firstBlock(gpa), nb) != STATE_UNPLUGGED) {
            resp = RESP_ERROR;
        } else {
            setRange(firstBlock(gpa), nb, true);
            m.get(PLUG_BYTES).add(bytes);
            resp = RESP_ACK;
        }
        if (resp != RESP_ACK) {
            m.get(PLUG_FAILS).inc();
        }
        m.latency(PLUG_AGG).recordSince(t0);
        return resp;
    }

    private int unplug(long gpa, int nb) {
        long t0 = System.nanoTime();
        m.get(UNPLUG_COUNT).inc();
        int resp;
        if (!validRange(gpa, nb) || rangeState(firstBlock(gpa), nb) != STATE_PLUGGED) {
            resp = RESP_ERROR;
            m.get(UNPLUG_FAILS).inc();
        } else {
            setRange(firstBlock(gpa), nb, false);
            m.get(UNPLUG_BYTES).add(nb * blockSize);
            resp = RESP_ACK;
        }
        m.latency(UNPLUG_AGG).recordSince(t0);
        return resp;
    }

    /** Every block unplugged; the usable region shrinks to what the current request needs. */
    private int unplugAll() {
        long t0 = System.nanoTime();
        m.get(UNPLUG_ALL_COUNT).inc();
        setRange(0, blocks, false);
        long usable = roundUp(requestedSize, slotSize);
        if (usable != usableSize) {
            usableSize = usable;
            config.update(CFG_USABLE_REGION_SIZE, 8, usable);
        }
        m.latency(UNPLUG_ALL_AGG).recordSince(t0);
        return RESP_ACK;
    }

    private long state(DescriptorChain c, long gpa, int nb) {
        long t0 = System.nanoTime();
        m.get(STATE_COUNT).inc();
        long written;
        if (!validRange(gpa, nb)) {
            m.get(STATE_FAILS).inc();
            written = respond(c, RESP_ERROR, 0);
        } else {
            written = respond(c, RESP_ACK, rangeState(firstBlock(gpa), nb));
        }
        m.latency(STATE_AGG).recordSince(t0);
        return written;
    }

    /** Block-aligned, at least one block, wholly inside the usable region. */
    private boolean validRange(long gpa, int nb) {
        if (nb <= 0 || gpa < addr || (gpa - addr) % blockSize != 0) {
            return false;
        }
        long offset = gpa - addr;
        return offset < usableSize && nb * blockSize <= usableSize - offset;
    }

    private int firstBlock(long gpa) {
        return (int) ((gpa - addr) / blockSize);
    }

    private int rangeState(int first, int nb) {
        int plugged = 0;
        for (int b = first; b < first + nb; b++) {
            if (isPlugged(b)) {
                plugged++;
            }
        }
        return plugged == nb ? STATE_PLUGGED : plugged == 0 ? STATE_UNPLUGGED : STATE_MIXED;
    }

    /**
     * Marks blocks {@code [first, first+nb)} plugged or not, gives unplugged ones back to the
     * host, and maps exactly the slots that hold a plugged block: a slot is mapped before its
     * first block is acknowledged and unmapped after its last one is unplugged.
     */
    private void setRange(int first, int nb, boolean plug) {
        for (int b = first; b < first + nb; b++) {
            boolean was = isPlugged(b);
            if (was == plug) {
                continue;
            }
            long bit = 1L << (b & 63);
            int w = b >>> 6;
            pluggedBits.set(w, plug ? pluggedBits.get(w) | bit : pluggedBits.get(w) & ~bit);
            pluggedBlocks += plug ? 1 : -1;
        }
        if (!plug && !ram.discard(first * blockSize, nb * blockSize)) {
            m.get(UNPLUG_DISCARD_FAILS).inc();
            logFailure("madvise(MADV_DONTNEED) of unplugged blocks");
        }
        pluggedSize = pluggedBlocks * blockSize;
        config.update(CFG_PLUGGED_SIZE, 8, pluggedSize);
        int firstSlot = first / blocksPerSlot;
        int lastSlot = (first + nb - 1) / blocksPerSlot;
        for (int s = firstSlot; s <= lastSlot; s++) {
            if (rangeState(s * blocksPerSlot, blocksPerSlot) == STATE_UNPLUGGED) {
                slots.unmap(s);
            } else {
                slots.map(s);
            }
        }
    }

    private static long roundUp(long v, long unit) {
        return (v + unit - 1) / unit * unit;
    }

    private void logFailure(String what) {
        if (loggedFailures < LOGGED_FAILURES) {
            loggedFailures++;
            LOG.log(Level.WARNING, "virtio-mem: {0}; answered and counted{1}", what,
                    loggedFailures == LOGGED_FAILURES ? " (further failures are only counted)" : "");
        }
    }

    // ---- snapshots -----------------------------------------------------------------------------

    @Override
    public void saveDeviceState(StateWriter out) {
        ThreadConfinement.requireLoop(loop, "VirtioMem.saveDeviceState");
        out.i64(addr).i64(regionSize).i64(blockSize).i64(slotSize).i64(requestedSize).i64(usableSize);
        long[] bits = new long[pluggedBits.length()];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = pluggedBits.get(i);
        }
        out.longs(bits);
    }

    /** The plugged blocks come back with their slots mapped; the range's memory is restored by the caller. */
    @Override
    public void restoreDeviceState(StateReader in) {
        ThreadConfinement.requireLoop(loop, "VirtioMem.restoreDeviceState");
        long savedAddr = in.i64("virtio-mem addr");
        long savedRegion = in.i64("virtio-mem region_size");
        long savedBlock = in.i64("virtio-mem block_size");
        long savedSlot = in.i64("virtio-mem slot size");
        if (savedAddr != addr || savedRegion != regionSize || savedBlock != blockSize || savedSlot != slotSize) {
            throw in.invalid("virtio-mem", String.format("the snapshot has its region at 0x%x, %d MiB in blocks of %d MiB and"
                    + " slots of %d MiB, but this VM's is at 0x%x, %d MiB, %d MiB, %d MiB", savedAddr, savedRegion / MIB,
                    savedBlock / MIB, savedSlot / MIB, addr, regionSize / MIB, blockSize / MIB, slotSize / MIB));
        }
        long requested = in.i64("virtio-mem requested_size");
        long usable = in.i64("virtio-mem usable_region_size");
        long[] bits = in.longs("virtio-mem plugged blocks", pluggedBits.length());
        if (requested < 0 || requested > regionSize || usable < 0 || usable > regionSize) {
            throw in.invalid("virtio-mem", "requested_size " + requested + " or usable_region_size " + usable
                    + " is outside the region of " + regionSize + " bytes");
        }
        requestedSize = requested;
        usableSize = usable;
        pluggedBlocks = 0;
        for (int i = 0; i < bits.length; i++) {
            long w = i == bits.length - 1 && blocks % 64 != 0 ? bits[i] & ((1L << (blocks % 64)) - 1) : bits[i];
            pluggedBits.set(i, w);
            pluggedBlocks += Long.bitCount(w);
        }
        pluggedSize = pluggedBlocks * blockSize;
        config.beginUpdate();
        config.put(CFG_REQUESTED_SIZE, 8, requested).put(CFG_USABLE_REGION_SIZE, 8, usable).put(CFG_PLUGGED_SIZE, 8, pluggedSize);
        config.endUpdate();
        for (int s = 0; s < blocks / blocksPerSlot; s++) {
            if (rangeState(s * blocksPerSlot, blocksPerSlot) != STATE_UNPLUGGED) {
                slots.map(s);
            }
        }
    }

    /**
     * Reads the plugged blocks' bytes from a snapshot's memory file, where the range starts at
     * {@code fileOffset} (unplugged blocks are holes there, and stay untouched here). After
     * {@link #restoreDeviceState}, before the guest runs.
     */
    public void loadPlugged(int fd, long fileOffset) {
        int b = 0;
        while (b < blocks) {
            if (!isPlugged(b)) {
                b++;
                continue;
            }
            int run = b;
            while (run < blocks && isPlugged(run)) {
                run++;
            }
            ram.readFrom(fd, fileOffset + b * blockSize, b * blockSize, (run - b) * blockSize);
            b = run;
        }
    }

    /** Takes the slots out of the guest, then unmaps the host memory. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (int s = 0; s < blocks / blocksPerSlot; s++) {
                slots.unmap(s);
            }
        } finally {
            ram.close();
        }
    }
}
