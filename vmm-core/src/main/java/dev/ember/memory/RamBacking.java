package dev.ember.memory;

/**
 * How guest RAM is backed on the host (Firecracker's {@code machine-config.huge_pages}).
 *
 * <p>{@link #HUGETLBFS_2M} takes 2 MiB pages from the host's reserved hugetlbfs pool at map time,
 * so a pool too small for the guest is refused up front ({@link HugePagesUnavailableException})
 * instead of the guest dying of SIGBUS at a later touch. {@link #TRANSPARENT} asks the kernel's
 * transparent huge pages to back the mapping ({@code madvise(MADV_HUGEPAGE)}, 2 MiB-aligned).
 */
public enum RamBacking {
    /** Anonymous 4 KiB pages, allocated as the guest touches them. */
    PAGES_4K(4096),
    /** Anonymous memory advised for transparent huge pages. */
    TRANSPARENT(2L << 20),
    /** Anonymous hugetlbfs memory of 2 MiB pages, reserved when mapped. */
    HUGETLBFS_2M(2L << 20);

    private final long granule;

    RamBacking(long granule) {
        this.granule = granule;
    }

    /** The size every region of guest RAM must be a multiple of. */
    public long granule() {
        return granule;
    }
}
