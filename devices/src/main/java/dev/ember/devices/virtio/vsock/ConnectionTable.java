package dev.ember.devices.virtio.vsock;

/**
 * Connections by (local port, peer port), open addressing over primitive keys so the lookup
 * every TX packet makes allocates nothing. Capacity is fixed at four times the connection limit,
 * which keeps probe runs short.
 */
final class ConnectionTable {
    private final long[] keys;
    private final VsockConnection[] values;
    private final int mask;
    private int size;

    ConnectionTable(int maxEntries) {
        int cap = Integer.highestOneBit(Math.max(4, maxEntries * 4 - 1)) << 1;
        keys = new long[cap];
        values = new VsockConnection[cap];
        mask = cap - 1;
    }

    int size() {
        return size;
    }

    private int slot(long key) {
        long h = key * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h >>> 40) & mask;
    }

    VsockConnection get(long key) {
        for (int i = slot(key); ; i = (i + 1) & mask) {
            VsockConnection c = values[i];
            if (c == null) {
                return null;
            }
            if (keys[i] == key) {
                return c;
            }
        }
    }

    /** Adds {@code c} under its key; the caller checked the key is free and the limit. */
    void put(VsockConnection c) {
        long key = c.key();
        int i = slot(key);
        while (values[i] != null) {
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = c;
        size++;
    }

    void remove(long key) {
        int i = slot(key);
        while (values[i] != null && keys[i] != key) {
            i = (i + 1) & mask;
        }
        if (values[i] == null) {
            return;
        }
        values[i] = null;
        size--;
        // Backward-shift deletion: move later entries of the run into the hole where they belong.
        int hole = i;
        for (int j = (i + 1) & mask; values[j] != null; j = (j + 1) & mask) {
            int home = slot(keys[j]);
            boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
            if (movable) {
                keys[hole] = keys[j];
                values[hole] = values[j];
                values[j] = null;
                hole = j;
            }
        }
    }

    int capacity() {
        return values.length;
    }

    /** The connection in slot {@code i} or null: a scan that allocates nothing (entries stay put while it runs). */
    VsockConnection slot(int i) {
        return values[i];
    }

    /** Every connection, for a reset; allocation is fine there. */
    java.util.List<VsockConnection> all() {
        java.util.List<VsockConnection> out = new java.util.ArrayList<>(size);
        for (VsockConnection c : values) {
            if (c != null) {
                out.add(c);
            }
        }
        return out;
    }

    void clear() {
        java.util.Arrays.fill(values, null);
        size = 0;
    }
}
