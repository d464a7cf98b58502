package dev.ember.pci;

/**
 * Where the PCI root complex sits in guest-physical space on x86: the ECAM window of bus 0 and
 * the 32-bit BAR window in the MMIO gap below 4 GiB, above the virtio-mmio devices (which start
 * at 0xd0000000) and below the IOAPIC (0xfec00000); the 64-bit window is placed by the VM above
 * RAM and device memory (see {@code GuestAddressSpace.reserveAddressSpace}).
 */
public final class PciLayout {
    /** ECAM (MMCONFIG) of bus 0: 32 devices x 8 functions x 4 KiB. */
    public static final long ECAM_BASE = 0xe000_0000L;
    public static final long ECAM_SIZE = 1L << 20;
    /** 32-bit BAR window: from the end of ECAM to 0xfe000000, clear of the IOAPIC and LAPIC. */
    public static final long MMIO32_BASE = ECAM_BASE + ECAM_SIZE;
    public static final long MMIO32_SIZE = 0xfe00_0000L - MMIO32_BASE;
    /** Size of the 64-bit BAR window above RAM. */
    public static final long MMIO64_SIZE = 64L << 30;
    /** Alignment of the 64-bit window (1 GiB, so the guest maps it with large pages). */
    public static final long MMIO64_ALIGNMENT = 1L << 30;

    private PciLayout() {}
}
