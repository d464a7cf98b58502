package dev.ember.memory;

/**
 * The host's hugetlbfs pool cannot back guest RAM of {@link RamBacking#HUGETLBFS_2M}: the figures
 * say what is missing, and the message says how to reserve it.
 */
public final class HugePagesUnavailableException extends RuntimeException {
    private final long neededPages;
    private final long freePages;

    public HugePagesUnavailableException(long neededPages, long freePages, int errno) {
        super("guest memory needs " + neededPages + " free 2 MiB huge pages, but the host has " + (freePages < 0 ? "an unknown number"
                : Long.toString(freePages)) + " (HugePages_Free in /proc/meminfo; mmap errno " + errno + "): reserve them as root"
                + " (echo " + neededPages + " > /proc/sys/vm/nr_hugepages, more if other VMs use the pool) or set"
                + " machine-config.huge_pages to None");
        this.neededPages = neededPages;
        this.freePages = freePages;
    }

    public long neededPages() {
        return neededPages;
    }

    /** HugePages_Free when the mapping failed, or -1 if /proc/meminfo could not be read. */
    public long freePages() {
        return freePages;
    }
}
