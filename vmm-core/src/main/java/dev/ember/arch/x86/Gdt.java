package dev.ember.arch.x86;

import dev.ember.memory.GuestMemory;

/**
 * The boot GDT and an empty IDT. The descriptors are the ones the 64-bit entry needs: a long-mode
 * code segment (selector 0x08), a flat data segment (0x10) and a TSS (0x18) so TR can be loaded.
 * The vCPU set-up derives its segment registers from the same descriptors (see
 * {@link #CODE_DESCRIPTOR} etc.) so the hidden parts match what is in memory.
 */
public final class Gdt {
    /** Present, DPL 0, code execute/read accessed (type 0xb), L=1, G=1, limit 0xfffff. */
    public static final long CODE_DESCRIPTOR = 0x00af_9b00_0000_ffffL;
    /** Present, DPL 0, data read/write accessed (type 3), D/B=1, G=1, limit 0xfffff. */
    public static final long DATA_DESCRIPTOR = 0x00cf_9300_0000_ffffL;
    /** Present, 32/64-bit busy TSS (type 0xb), G=1, limit 0xfffff. */
    public static final long TSS_DESCRIPTOR = 0x008f_8b00_0000_ffffL;

    public static final int ENTRIES = 4;
    public static final int GDT_LIMIT = ENTRIES * 8 - 1;
    /** The IDT is empty: interrupts stay disabled until the kernel loads its own. */
    public static final int IDT_LIMIT = 7;

    private Gdt() {}

    /** Writes the GDT at {@link BootLayout#GDT_START} and a zeroed IDT at {@link BootLayout#IDT_START}. */
    public static void write(GuestMemory mem) {
        long g = BootLayout.GDT_START;
        mem.putLong(g, 0);
        mem.putLong(g + BootEntry.CODE_SELECTOR, CODE_DESCRIPTOR);
        mem.putLong(g + BootEntry.DATA_SELECTOR, DATA_DESCRIPTOR);
        mem.putLong(g + BootEntry.TSS_SELECTOR, TSS_DESCRIPTOR);
        mem.fill(BootLayout.IDT_START, IDT_LIMIT + 1, (byte) 0);
    }

    // Descriptor field decoders, for the vCPU set-up and tests.

    public static long base(long d) {
        return ((d >>> 16) & 0xff_ffffL) | (((d >>> 56) & 0xff) << 24);
    }

    /** Limit in bytes (scaled by 4 KiB when G is set). */
    public static long limit(long d) {
        long raw = (d & 0xffff) | (((d >>> 48) & 0xf) << 16);
        return granularity(d) ? (raw << 12) | 0xfff : raw;
    }

    public static int type(long d) {
        return (int) ((d >>> 40) & 0xf);
    }

    /** S bit: 1 for code/data, 0 for system segments (TSS). */
    public static boolean codeOrData(long d) {
        return ((d >>> 44) & 1) != 0;
    }

    public static int dpl(long d) {
        return (int) ((d >>> 45) & 3);
    }

    public static boolean present(long d) {
        return ((d >>> 47) & 1) != 0;
    }

    public static boolean avl(long d) {
        return ((d >>> 52) & 1) != 0;
    }

    /** L bit: 64-bit code segment. */
    public static boolean longMode(long d) {
        return ((d >>> 53) & 1) != 0;
    }

    /** D/B bit. */
    public static boolean defaultBig(long d) {
        return ((d >>> 54) & 1) != 0;
    }

    public static boolean granularity(long d) {
        return ((d >>> 55) & 1) != 0;
    }
}
