package dev.ember.devices.virtio.balloon;

import java.util.Arrays;

/**
 * The guest's latest memory statistics (virtio 1.2, 5.5.6.3: {@code le16 tag, le64 val} pairs),
 * by tag. A tag the guest did not send keeps its previous value (absent until first sent), as
 * Firecracker keeps them. Written on the event loop, read by the API: a copy is taken under
 * the object's lock, so a reader never sees half an update.
 */
public final class BalloonStatistics {
    public static final int SWAP_IN = 0, SWAP_OUT = 1, MAJFLT = 2, MINFLT = 3, MEMFREE = 4, MEMTOT = 5, AVAIL = 6,
            CACHES = 7, HTLB_PGALLOC = 8, HTLB_PGFAIL = 9, OOM_KILL = 10, ALLOC_STALL = 11, ASYNC_SCAN = 12,
            DIRECT_SCAN = 13, ASYNC_RECLAIM = 14, DIRECT_RECLAIM = 15;
    /** Tags this device keeps; higher ones are skipped. */
    public static final int TAGS = 16;
    /** Bytes of one statistic on the queue. */
    static final int ENTRY_BYTES = 10;

    private final long[] values = new long[TAGS];
    private int present; // bit per tag
    private long updates;

    synchronized void set(int tag, long value) {
        values[tag] = value;
        present |= 1 << tag;
    }

    synchronized void updated() {
        updates++;
    }

    /** A copy: {@link Snapshot#value} is null for a tag never reported. */
    public synchronized Snapshot snapshot() {
        return new Snapshot(values.clone(), present, updates);
    }

    synchronized void restore(long[] v, int mask, long count) {
        System.arraycopy(v, 0, values, 0, TAGS);
        present = mask;
        updates = count;
    }

    /** The statistics at one moment; {@code updates} counts the guest's reports so far. */
    public record Snapshot(long[] values, int present, long updates) {
        public Long value(int tag) {
            return (present & (1 << tag)) == 0 ? null : values[tag];
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Snapshot s && Arrays.equals(values, s.values) && present == s.present && updates == s.updates;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(values) * 31 + present;
        }

        @Override
        public String toString() {
            return "BalloonStatistics" + Arrays.toString(values) + " present=0x" + Integer.toHexString(present) + " updates=" + updates;
        }
    }
}
