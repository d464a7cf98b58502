package dev.ember.pci;

/**
 * A range of guest-physical addresses the host bridge forwards to PCI (one of its _CRS memory
 * windows), handed out to BARs upward, each BAR naturally aligned. Guarded by the root complex.
 */
public final class PciWindow {
    private final String name;
    private final long base;
    private final long size;
    private long next;

    public PciWindow(String name, long base, long size) {
        if (size <= 0 || (base & 0xfff) != 0 || (size & 0xfff) != 0 || base + size < base) {
            throw new PciException(PciException.Reason.INVALID_LAYOUT, String.format("%s window 0x%x + 0x%x", name, base, size));
        }
        this.name = name;
        this.base = base;
        this.size = size;
        this.next = base;
    }

    public long base() {
        return base;
    }

    public long size() {
        return size;
    }

    /** One past the last address. */
    public long end() {
        return base + size;
    }

    /** The next {@code barSize} bytes at a multiple of {@code barSize}. */
    long allocate(long barSize) {
        long at = (next + barSize - 1) & -barSize;
        if (at < next || at + barSize > end()) {
            throw new PciException(PciException.Reason.WINDOW_EXHAUSTED, String.format(
                    "the %s PCI window [0x%x, 0x%x) has no room for a BAR of 0x%x bytes", name, base, end(), barSize));
        }
        next = at + barSize;
        return at;
    }
}
