package dev.ember.arch.x86;

import dev.ember.memory.GuestMemory;

/**
 * Identity-mapping page tables for the 64-bit entry: one PML4, one PDPT and {@link
 * BootLayout#PD_COUNT} page directories of 2 MiB pages, so the first 4 GiB are mapped. The
 * boot protocol asks for the kernel, zero page and command line to be mapped; mapping the whole
 * 32-bit space also covers an initrd placed high and the decompressor's first steps. Linux
 * replaces these tables early.
 */
public final class PageTables {
    static final long PRESENT = 1, WRITABLE = 1 << 1, PAGE_SIZE_2M = 1 << 7;
    static final int ENTRIES = 512;
    static final long HUGE_PAGE = 2L << 20;

    private PageTables() {}

    /** Writes the tables and returns the PML4 address (CR3). */
    public static long write(GuestMemory mem) {
        mem.fill(BootLayout.PML4_START, BootLayout.PAGE_SIZE, (byte) 0);
        mem.fill(BootLayout.PDPT_START, BootLayout.PAGE_SIZE, (byte) 0);
        mem.putLong(BootLayout.PML4_START, BootLayout.PDPT_START | PRESENT | WRITABLE);
        for (int d = 0; d < BootLayout.PD_COUNT; d++) {
            long pd = BootLayout.PD_START + d * BootLayout.PAGE_SIZE;
            mem.putLong(BootLayout.PDPT_START + d * 8L, pd | PRESENT | WRITABLE);
            for (int i = 0; i < ENTRIES; i++) {
                long phys = ((long) d * ENTRIES + i) * HUGE_PAGE;
                mem.putLong(pd + i * 8L, phys | PRESENT | WRITABLE | PAGE_SIZE_2M);
            }
        }
        return BootLayout.PML4_START;
    }

    /** Bytes of guest-physical space the tables identity-map. */
    public static long mappedBytes() {
        return BootLayout.PD_COUNT * ENTRIES * HUGE_PAGE;
    }
}
