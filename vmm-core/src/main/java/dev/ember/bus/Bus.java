package dev.ember.bus;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;

/**
 * A sorted, non-overlapping map from address ranges to devices: the MMIO bus or the PIO bus.
 *
 * <p>Registration happens while the VM is built; lookups happen on vCPU threads and are a
 * binary search over primitive arrays, so dispatch allocates nothing. Registration publishes a
 * new snapshot of the arrays, so a lookup never sees a half-updated table.
 */
public final class Bus {
    private static final AtomicLongFieldUpdater<Bus> UNHANDLED = AtomicLongFieldUpdater.newUpdater(Bus.class, "unhandled");

    private static final class Table {
        final long[] bases;
        final long[] lengths;
        final BusDevice[] devices;

        Table(long[] bases, long[] lengths, BusDevice[] devices) {
            this.bases = bases;
            this.lengths = lengths;
            this.devices = devices;
        }
    }

    private final String name;
    private volatile Table table = new Table(new long[0], new long[0], new BusDevice[0]);
    /**
     * Accesses that hit no device: counted, never fatal (the guest probes empty ports). Every
     * vCPU thread adds to it, so it is an atomic add (no allocation, unlike a LongAdder's cells).
     */
    private volatile long unhandled;

    public Bus(String name) {
        this.name = name;
    }

    public synchronized void register(long base, long length, BusDevice device) {
        if (length <= 0 || base < 0 || base + length < base) {
            throw new IllegalArgumentException(name + ": invalid range base=0x" + Long.toHexString(base) + " length=" + length);
        }
        Table t = table;
        int n = t.bases.length;
        int pos = 0;
        while (pos < n && t.bases[pos] < base) {
            pos++;
        }
        if (pos > 0 && t.bases[pos - 1] + t.lengths[pos - 1] > base) {
            throw conflict(base, length, t.bases[pos - 1], t.lengths[pos - 1]);
        }
        if (pos < n && base + length > t.bases[pos]) {
            throw conflict(base, length, t.bases[pos], t.lengths[pos]);
        }
        long[] b = new long[n + 1];
        long[] l = new long[n + 1];
        BusDevice[] d = new BusDevice[n + 1];
        System.arraycopy(t.bases, 0, b, 0, pos);
        System.arraycopy(t.lengths, 0, l, 0, pos);
        System.arraycopy(t.devices, 0, d, 0, pos);
        b[pos] = base;
        l[pos] = length;
        d[pos] = device;
        System.arraycopy(t.bases, pos, b, pos + 1, n - pos);
        System.arraycopy(t.lengths, pos, l, pos + 1, n - pos);
        System.arraycopy(t.devices, pos, d, pos + 1, n - pos);
        table = new Table(b, l, d);
    }

    /**
     * Removes {@code device} from {@code base}, where it was registered (a PCI BAR the guest
     * moved or stopped decoding). Returns false when it is not there.
     */
    public synchronized boolean unregister(long base, BusDevice device) {
        Table t = table;
        int n = t.bases.length;
        int pos = Arrays.binarySearch(t.bases, base);
        if (pos < 0 || t.devices[pos] != device) {
            return false;
        }
        long[] b = new long[n - 1];
        long[] l = new long[n - 1];
        BusDevice[] d = new BusDevice[n - 1];
        System.arraycopy(t.bases, 0, b, 0, pos);
        System.arraycopy(t.lengths, 0, l, 0, pos);
        System.arraycopy(t.devices, 0, d, 0, pos);
        System.arraycopy(t.bases, pos + 1, b, pos, n - pos - 1);
        System.arraycopy(t.lengths, pos + 1, l, pos, n - pos - 1);
        System.arraycopy(t.devices, pos + 1, d, pos, n - pos - 1);
        table = new Table(b, l, d);
        return true;
    }

    private BusConflictException conflict(long base, long len, long otherBase, long otherLen) {
        return new BusConflictException(String.format("%s: range [0x%x, 0x%x) overlaps registered range [0x%x, 0x%x)",
                name, base, base + len, otherBase, otherBase + otherLen));
    }

    private int find(Table t, long addr) {
        int i = Arrays.binarySearch(t.bases, addr);
        if (i < 0) {
            i = -i - 2;
        }
        if (i >= 0 && addr - t.bases[i] < t.lengths[i]) {
            return i;
        }
        return -1;
    }

    /** Dispatches a read; returns all-ones for an unclaimed address, as open bus does. */
    public long read(long addr, int size) {
        Table t = table;
        int i = find(t, addr);
        if (i < 0) {
            UNHANDLED.incrementAndGet(this);
            return size >= 8 ? -1L : (1L << (size * 8)) - 1;
        }
        return t.devices[i].read(addr - t.bases[i], size);
    }

    /** Dispatches a write; returns false if no device claims the address. */
    public boolean write(long addr, int size, long value) {
        Table t = table;
        int i = find(t, addr);
        if (i < 0) {
            UNHANDLED.incrementAndGet(this);
            return false;
        }
        t.devices[i].write(addr - t.bases[i], size, value);
        return true;
    }

    public long unhandledAccesses() {
        return unhandled;
    }

    public String name() {
        return name;
    }
}
