package dev.ember.vm;

import dev.ember.arch.x86.BootEntry;
import dev.ember.memory.GuestMemory;

/**
 * The smallest 64-bit set-up a test guest needs, written into guest memory: a GDT with the
 * loader's selectors, an empty IDT, identity page tables for the first GiB (2 MiB pages), and
 * the test's machine code at {@link #CODE}. Test-only: the real loader lives in arch.x86.
 */
final class LongModeTestGuest {
    static final long GDT = 0x500, IDT = 0x520, ZERO_PAGE = 0x7000, STACK = 0x8ff0;
    static final long PML4 = 0x9000, PDPT = 0xa000, PD = 0xb000;
    static final long CODE = 0x100000;

    private LongModeTestGuest() {}

    static BootEntry write(GuestMemory mem, byte[] code) {
        mem.putLong(GDT, 0);
        mem.putLong(GDT + 0x08, 0x00af9b000000ffffL); // 64-bit code
        mem.putLong(GDT + 0x10, 0x00cf93000000ffffL); // data
        mem.putLong(GDT + 0x18, 0x008f8b000000ffffL); // TSS
        mem.putLong(PML4, PDPT | 0x3);
        mem.putLong(PDPT, PD | 0x3);
        for (int i = 0; i < 512; i++) {
            mem.putLong(PD + 8L * i, ((long) i << 21) | 0x83); // present, writable, 2 MiB
        }
        mem.write(CODE, code, 0, code.length);
        return new BootEntry(CODE, ZERO_PAGE, STACK, PML4, GDT, 0x1f, IDT, 7);
    }

    /** Hex bytes like "66 ba f8 03" to a byte array. */
    static byte[] hex(String s) {
        String[] parts = s.trim().split("\\s+");
        byte[] b = new byte[parts.length];
        for (int i = 0; i < parts.length; i++) {
            b[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        return b;
    }
}
