package dev.ember.pci;

/**
 * What a memory BAR decodes: its size (a power of two, at least 4 KiB so no two functions share
 * a page) and whether its address register is 64 bits wide (it then takes two BAR slots, index
 * and index + 1). I/O-space BARs are not offered: virtio-pci and MSI-X need none.
 */
public record PciBar(int index, long size, boolean is64Bit, boolean prefetchable) {
    /** Smallest BAR Ember hands out: one page, so a BAR's handler never shares a page with another's. */
    public static final long MIN_SIZE = 0x1000;

    public PciBar {
        if (index < 0 || index > 5 || (is64Bit && index > 4)) {
            throw new PciException(PciException.Reason.INVALID_LAYOUT, "BAR index " + index + (is64Bit ? " (64-bit: 0 to 4)" : " (0 to 5)"));
        }
        if (size < MIN_SIZE || Long.bitCount(size) != 1 || (!is64Bit && size > 0x8000_0000L)) {
            throw new PciException(PciException.Reason.INVALID_LAYOUT,
                    "BAR " + index + " size 0x" + Long.toHexString(size) + " is not a power of two from 4 KiB" + (is64Bit ? "" : " to 2 GiB"));
        }
    }

    public static PciBar memory32(int index, long size) {
        return new PciBar(index, size, false, false);
    }

    public static PciBar memory64(int index, long size) {
        return new PciBar(index, size, true, false);
    }
}
