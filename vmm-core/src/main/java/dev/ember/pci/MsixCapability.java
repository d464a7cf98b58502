package dev.ember.pci;

import dev.ember.bus.BusDevice;

/**
 * MSI-X for one function: the capability in its configuration space (Message Control with
 * Enable and Function Mask, the table's and PBA's BAR and offset), the vector table and the
 * pending-bit array, whose {@link #tableHandler()} and {@link #pbaHandler()} the function serves
 * at the BAR offsets it declared.
 *
 * <p>{@link #signal} delivers a vector through {@link MsiVectors} while MSI-X is enabled and
 * neither the function nor the vector is masked; otherwise it sets the vector's pending bit, and
 * the vector is delivered once unmasked (PCI's rule). A vector's route is set from its table
 * entry when it becomes deliverable after the guest changed the entry, so the routing table is
 * written on configuration paths only, never by {@link #signal}. Thread-safe: vCPUs write the
 * table and control word, any thread signals; nothing here allocates after construction.
 */
public final class MsixCapability {
    public static final int CAPABILITY_LENGTH = 12;
    public static final int ENTRY_SIZE = 16;
    /** Message Control bits. */
    public static final int CONTROL_FUNCTION_MASK = 1 << 14, CONTROL_ENABLE = 1 << 15;
    /** Vector Control: the vector is masked. */
    public static final int VECTOR_MASKED = 1;
    private static final int ADDRESS_LOW = 0, ADDRESS_HIGH = 4, DATA = 8, VECTOR_CONTROL = 12;

    private final PciConfigSpace config;
    private final MsiVectors vectors;
    private final int count;
    private final int offset;
    /** The table, a dword per field (address low, address high, data, vector control) per entry. */
    private final int[] table;
    private final long[] pending;
    /** Entries changed since last routed. */
    private final boolean[] stale;
    private boolean enabled;
    private boolean functionMasked;
    private final BusDevice tableHandler = BusDevice.of(this::readTable, this::writeTable);
    /** The PBA is read-only: writes are dropped. */
    private final BusDevice pbaHandler = BusDevice.of(this::readPba, (offset, size, value) -> { });

    /**
     * Adds the capability to {@code config}: {@code vectors.count()} entries, the table at
     * {@code tableOffset} of BAR {@code tableBar}, the PBA at {@code pbaOffset} of BAR
     * {@code pbaBar} (offsets 8-byte aligned; the function serves the handlers there). Every
     * vector starts masked, MSI-X disabled.
     */
    public MsixCapability(PciConfigSpace config, MsiVectors vectors, int tableBar, int tableOffset, int pbaBar, int pbaOffset) {
        int n = vectors.count();
        if (n < 1 || n > 2048 || (tableOffset & 7) != 0 || (pbaOffset & 7) != 0 || tableBar < 0 || tableBar > 5 || pbaBar < 0 || pbaBar > 5) {
            throw new PciException(PciException.Reason.INVALID_LAYOUT, String.format(
                    "MSI-X with %d vectors, table at BAR %d + 0x%x, PBA at BAR %d + 0x%x", n, tableBar, tableOffset, pbaBar, pbaOffset));
        }
        this.config = config;
        this.vectors = vectors;
        this.count = n;
        this.table = new int[n * 4];
        this.pending = new long[(n + 63) / 64];
        this.stale = new boolean[n];
        for (int v = 0; v < n; v++) {
            table[v * 4 + 3] = VECTOR_MASKED;
            stale[v] = true;
        }
        this.offset = config.addCapability(PciConfigSpace.CAP_ID_MSIX, CAPABILITY_LENGTH, this::controlWritten);
        config.set(offset + 2, 2, n - 1);
        config.setWriteMask(offset + 2, 2, CONTROL_ENABLE | CONTROL_FUNCTION_MASK);
        config.set(offset + 4, 4, tableOffset | tableBar);
        config.set(offset + 8, 4, pbaOffset | pbaBar);
    }

    /** The capability's offset in the configuration space. */
    public int capabilityOffset() {
        return offset;
    }

    public int vectorCount() {
        return count;
    }

    /** Bytes the table takes in its BAR. */
    public int tableSize() {
        return count * ENTRY_SIZE;
    }

    /** Bytes the PBA takes in its BAR (whole 64-bit words). */
    public int pbaSize() {
        return pending.length * 8;
    }

    /** The table's registers, offsets from the table's start; 4- and 8-byte accesses. */
    public BusDevice tableHandler() {
        return tableHandler;
    }

    /** The pending bits, offsets from the PBA's start; read-only. */
    public BusDevice pbaHandler() {
        return pbaHandler;
    }

    public synchronized boolean enabled() {
        return enabled;
    }

    /**
     * Raises {@code vector}: delivered now when deliverable, else left pending (masked) or
     * dropped with false (MSI-X disabled, or no such vector).
     */
    public synchronized boolean signal(int vector) {
        if (!enabled || vector < 0 || vector >= count) {
            return false;
        }
        if (functionMasked || (table[vector * 4 + 3] & VECTOR_MASKED) != 0) {
            pending[vector >>> 6] |= 1L << vector;
            return true;
        }
        return vectors.signal(vector);
    }

    /** Whether {@code vector}'s pending bit is set (a message waits for an unmask). */
    public synchronized boolean isPending(int vector) {
        return (pending[vector >>> 6] & 1L << vector) != 0;
    }

    /** The vector table's dwords (address low, high, data, control per entry), for a snapshot. */
    public synchronized int[] saveTable() {
        return table.clone();
    }

    /** The pending bits, for a snapshot. */
    public synchronized long[] savePending() {
        return pending.clone();
    }

    /**
     * Puts back a snapshot's table and pending bits after the configuration space's bytes were
     * restored: Enable and Function Mask are read from there again, and every deliverable vector
     * is routed anew (KVM's routing table is not part of a snapshot) and gets its pending message.
     */
    public synchronized void restore(int[] savedTable, long[] savedPending) {
        if (savedTable.length != table.length || savedPending.length != pending.length) {
            throw new IllegalArgumentException("MSI-X state of " + savedTable.length / 4 + " vectors, this function has " + count);
        }
        System.arraycopy(savedTable, 0, table, 0, table.length);
        System.arraycopy(savedPending, 0, pending, 0, pending.length);
        java.util.Arrays.fill(stale, true);
        controlWritten(offset + 2, 2);
    }

    private void controlWritten(int at, int size) {
        synchronized (this) {
            int control = config.get(offset + 2, 2);
            enabled = (control & CONTROL_ENABLE) != 0;
            functionMasked = (control & CONTROL_FUNCTION_MASK) != 0;
            deliverUnmasked();
        }
    }

    private synchronized long readTable(long at, int size) {
        if (!validTableAccess(at, size)) {
            return size >= 8 ? -1L : (1L << (size * 8)) - 1;
        }
        int i = (int) (at >>> 2);
        long low = table[i] & 0xffff_ffffL;
        return size == 8 ? low | (table[i + 1] & 0xffff_ffffL) << 32 : low;
    }

    private synchronized void writeTable(long at, int size, long value) {
        if (!validTableAccess(at, size)) {
            return;
        }
        int i = (int) (at >>> 2);
        storeField(i, (int) value);
        if (size == 8) {
            storeField(i + 1, (int) (value >>> 32));
        }
        deliverUnmasked();
    }

    private void storeField(int i, int value) {
        int vector = i >>> 2;
        if ((i & 3) == VECTOR_CONTROL / 4) {
            table[i] = value & VECTOR_MASKED;
        } else if (table[i] != value) {
            table[i] = value;
            stale[vector] = true;
        }
    }

    private boolean validTableAccess(long at, int size) {
        return (size == 4 || size == 8) && at >= 0 && at + size <= (long) count * ENTRY_SIZE && (at & (size - 1)) == 0;
    }

    private synchronized long readPba(long at, int size) {
        if ((size != 4 && size != 8) || at < 0 || at + size > pending.length * 8L || (at & (size - 1)) != 0) {
            return size >= 8 ? -1L : (1L << (size * 8)) - 1;
        }
        long word = pending[(int) (at >>> 3)];
        return size == 8 ? word : (word >>> (8 * (at & 4))) & 0xffff_ffffL;
    }

    /** Routes each deliverable vector whose entry changed, and delivers the pending ones. */
    private void deliverUnmasked() {
        if (!enabled || functionMasked) {
            return;
        }
        for (int v = 0; v < count; v++) {
            if ((table[v * 4 + 3] & VECTOR_MASKED) != 0) {
                continue;
            }
            if (stale[v]) {
                stale[v] = false;
                vectors.route(v, (table[v * 4] & 0xffff_ffffL) | (long) table[v * 4 + 1] << 32, table[v * 4 + 2]);
            }
            long bit = 1L << v;
            if ((pending[v >>> 6] & bit) != 0) {
                pending[v >>> 6] &= ~bit;
                vectors.signal(v);
            }
        }
    }
}
