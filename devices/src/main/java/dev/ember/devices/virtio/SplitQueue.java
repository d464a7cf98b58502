package dev.ember.devices.virtio;

import dev.ember.devices.virtio.VirtqueueException.Reason;
import dev.ember.eventloop.EventLoop;
import dev.ember.eventloop.ThreadConfinement;
import dev.ember.memory.GuestMemory;
import java.lang.invoke.VarHandle;

/**
 * The device side of one split virtqueue (virtio 1.2, 2.7): reads the available ring, walks
 * descriptor chains, publishes used elements and decides when the driver wants an interrupt
 * (flags or EVENT_IDX). Used only on the event-loop thread (checked at entry under
 * {@link ThreadConfinement}); every method is allocation free except on error paths.
 *
 * <p>Ring layout: descriptor table {@code 16*size}; available ring {@code flags u16, idx u16,
 * ring[size] u16, used_event u16}; used ring {@code flags u16, idx u16, ring[size] {id u32,
 * len u32}, avail_event u16}.
 */
public final class SplitQueue {
    private final int index;
    private final GuestMemory mem;
    private final EventLoop owner;
    private int size;
    private long descTable;
    private long availRing;
    private long usedRing;
    private boolean eventIdx;
    private boolean indirect;
    private boolean ready;

    private int lastAvail;
    private int nextUsed;
    private int usedAtLastSignal;

    /** A queue confined to {@code owner}'s thread. */
    public SplitQueue(int index, GuestMemory mem, EventLoop owner) {
        this.index = index;
        this.mem = mem;
        this.owner = owner;
    }

    /** A queue driven by one thread without an event loop (unit tests, benchmarks): unchecked. */
    public SplitQueue(int index, GuestMemory mem) {
        this(index, mem, null);
    }

    /**
     * Checks a driver's queue configuration.
     *
     * @throws VirtqueueException naming what is wrong (size, or which ring is misaligned or outside guest RAM)
     */
    public static void validate(GuestMemory mem, int index, int size, int maxSize, long desc, long avail, long used) {
        if (size <= 0 || size > maxSize) {
            throw new VirtqueueException(Reason.QUEUE_SIZE, "queue " + index + ": size " + size + " is outside 1.." + maxSize);
        }
        if ((size & (size - 1)) != 0) {
            throw new VirtqueueException(Reason.QUEUE_SIZE_NOT_POWER_OF_TWO,
                    "queue " + index + ": size " + size + " is not a power of two (required for split virtqueues)");
        }
        if ((desc & 15) != 0 || !mem.isValid(desc, 16L * size)) {
            throw new VirtqueueException(Reason.DESCRIPTOR_TABLE_ADDRESS, String.format(
                    "queue %d: descriptor table at 0x%x (size %d) is misaligned or outside guest memory", index, desc, size));
        }
        if ((avail & 1) != 0 || !mem.isValid(avail, 6L + 2L * size)) {
            throw new VirtqueueException(Reason.DRIVER_RING_ADDRESS, String.format(
                    "queue %d: driver (available) ring at 0x%x is misaligned or outside guest memory", index, avail));
        }
        if ((used & 3) != 0 || !mem.isValid(used, 6L + 8L * size)) {
            throw new VirtqueueException(Reason.DEVICE_RING_ADDRESS, String.format(
                    "queue %d: device (used) ring at 0x%x is misaligned or outside guest memory", index, used));
        }
    }

    /** Arms the queue with a configuration that passed {@link #validate}. */
    public void activate(int size, long desc, long avail, long used, boolean eventIdx, boolean indirect) {
        ThreadConfinement.requireLoop(owner, "SplitQueue.activate");
        this.size = size;
        this.descTable = desc;
        this.availRing = avail;
        this.usedRing = used;
        this.eventIdx = eventIdx;
        this.indirect = indirect;
        this.lastAvail = 0;
        this.nextUsed = 0;
        this.usedAtLastSignal = 0;
        this.ready = true;
    }

    /**
     * Re-arms the queue from a snapshot: like {@link #activate}, but the ring positions continue
     * where the saved device left them instead of starting at 0.
     */
    public void restore(int size, long desc, long avail, long used, boolean eventIdx, boolean indirect,
            int lastAvail, int nextUsed, int usedAtLastSignal) {
        activate(size, desc, avail, used, eventIdx, indirect);
        this.lastAvail = lastAvail & 0xFFFF;
        this.nextUsed = nextUsed & 0xFFFF;
        this.usedAtLastSignal = usedAtLastSignal & 0xFFFF;
    }

    /** The used index at the last interrupt decision (saved with the ring positions). */
    public int usedAtLastSignal() {
        return usedAtLastSignal;
    }

    public void reset() {
        ThreadConfinement.requireLoop(owner, "SplitQueue.reset");
        ready = false;
        size = 0;
        descTable = availRing = usedRing = 0;
        lastAvail = nextUsed = usedAtLastSignal = 0;
    }

    public int index() { return index; }
    public int size() { return size; }
    public boolean ready() { return ready; }
    long descTable() { return descTable; }
    /** The rings' guest-physical addresses while ready (what a vhost-user back-end is told, as host addresses). */
    public long descTableAddress() { return descTable; }
    public long availRingAddress() { return availRing; }
    public long usedRingAddress() { return usedRing; }
    GuestMemory memory() { return mem; }
    boolean indirectEnabled() { return indirect; }
    public int lastAvailIndex() { return lastAvail; }
    public int nextUsedIndex() { return nextUsed; }

    private int availIdx() {
        int v = mem.getShort(availRing + 2) & 0xFFFF;
        VarHandle.acquireFence(); // ring entries are read after the index that published them
        return v;
    }

    /** Entries the driver made available that the device has not popped yet. */
    public int pending() {
        int n = (availIdx() - lastAvail) & 0xFFFF;
        if (n > size) {
            throw new VirtqueueException(Reason.AVAIL_INDEX_AHEAD, "queue " + index + ": available index is " + n
                    + " entries ahead of the device, more than the queue size " + size);
        }
        return n;
    }

    /**
     * Pops the next available chain into {@code chain}.
     *
     * @return false if the ring is empty
     * @throws VirtqueueException if the ring or the chain is malformed
     */
    public boolean pop(DescriptorChain chain) {
        ThreadConfinement.requireLoop(owner, "SplitQueue.pop");
        if (!ready || pending() == 0) {
            return false;
        }
        int head = mem.getShort(availRing + 4 + 2L * (lastAvail & (size - 1))) & 0xFFFF;
        chain.walk(this, head);
        lastAvail = (lastAvail + 1) & 0xFFFF;
        return true;
    }

    /** Puts the last popped chain back (the device could not serve it yet, e.g. rate limited). */
    public void undoPop() {
        lastAvail = (lastAvail - 1) & 0xFFFF;
    }

    /** Returns chain {@code head} to the driver with {@code writtenBytes} written into it. */
    public void addUsed(int head, long writtenBytes) {
        ThreadConfinement.requireLoop(owner, "SplitQueue.addUsed");
        long e = usedRing + 4 + 8L * (nextUsed & (size - 1));
        mem.putInt(e, head);
        mem.putInt(e + 4, (int) writtenBytes);
        nextUsed = (nextUsed + 1) & 0xFFFF;
        VarHandle.releaseFence(); // the element must be visible before the index that publishes it
        mem.putShort(usedRing + 2, (short) nextUsed);
    }

    /**
     * Whether the driver wants an interrupt for the used elements added since the last call
     * (2.7.7.2: used_event with EVENT_IDX, else the NO_INTERRUPT flag).
     */
    public boolean needsInterrupt() {
        ThreadConfinement.requireLoop(owner, "SplitQueue.needsInterrupt");
        int newIdx = nextUsed;
        int old = usedAtLastSignal;
        usedAtLastSignal = newIdx;
        if (newIdx == old) {
            return false;
        }
        VarHandle.fullFence(); // used idx store before the driver's suppression state load
        if (eventIdx) {
            int usedEvent = mem.getShort(availRing + 4 + 2L * size) & 0xFFFF;
            return ((newIdx - usedEvent - 1) & 0xFFFF) < ((newIdx - old) & 0xFFFF);
        }
        return (mem.getShort(availRing) & Virtio.AVAIL_F_NO_INTERRUPT) == 0;
    }

    /**
     * Called when the device found the ring empty: with EVENT_IDX publish avail_event so the
     * driver kicks for the next entry, then re-check to close the race with a driver that added
     * one meanwhile.
     *
     * @return true if more entries are available (keep processing)
     */
    public boolean enableNotifications() {
        ThreadConfinement.requireLoop(owner, "SplitQueue.enableNotifications");
        if (!ready) {
            return false;
        }
        if (eventIdx) {
            mem.putShort(usedRing + 4 + 8L * size, (short) lastAvail);
        }
        VarHandle.fullFence();
        return pending() != 0;
    }
}
