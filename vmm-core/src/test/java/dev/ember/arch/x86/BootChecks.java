package dev.ember.arch.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.memory.GuestMemory;
import java.nio.charset.StandardCharsets;

/** Checks shared by the ELF, bzImage and real-kernel tests: what every boot must leave in memory. */
final class BootChecks {
    private BootChecks() {}

    static void entryRegisters(BootEntry e, long entry) {
        assertEquals(entry, e.entryPoint());
        assertEquals(0x7000, e.zeroPage());
        assertEquals(0x8ff0, e.stackPointer());
        assertEquals(0x9000, e.pml4());
        assertEquals(0x500, e.gdtBase());
        assertEquals(31, e.gdtLimit());
        assertEquals(0x520, e.idtBase());
        assertEquals(7, e.idtLimit());
    }

    static void gdtAndIdt(GuestMemory mem) {
        assertEquals(0, mem.getLong(0x500), "null descriptor");
        long code = mem.getLong(0x508), data = mem.getLong(0x510), tss = mem.getLong(0x518);
        assertEquals(0x00af9b000000ffffL, code);
        assertEquals(0x00cf93000000ffffL, data);
        assertEquals(0x008f8b000000ffffL, tss);
        // Decoded: 64-bit code, flat data, busy TSS; all present, DPL 0, base 0, limit 4 GiB.
        assertTrue(Gdt.longMode(code) && !Gdt.defaultBig(code) && Gdt.present(code) && Gdt.codeOrData(code));
        assertEquals(0xb, Gdt.type(code));
        assertEquals(3, Gdt.type(data));
        assertTrue(Gdt.defaultBig(data) && !Gdt.longMode(data));
        assertEquals(0xb, Gdt.type(tss));
        assertFalse(Gdt.codeOrData(tss));
        for (long d : new long[] {code, data, tss}) {
            assertEquals(0, Gdt.base(d));
            assertEquals(0xffffffffL, Gdt.limit(d));
            assertEquals(0, Gdt.dpl(d));
        }
        assertEquals(0, mem.getLong(0x520), "IDT empty");
    }

    static void pageTables(GuestMemory mem) {
        assertEquals(0xa000 | 3, mem.getLong(0x9000), "PML4[0] -> PDPT, present+writable");
        for (int i = 1; i < 512; i++) {
            assertEquals(0, mem.getLong(0x9000 + i * 8L), "PML4[" + i + "] empty");
        }
        for (int d = 0; d < 4; d++) {
            assertEquals((0xb000 + d * 0x1000L) | 3, mem.getLong(0xa000 + d * 8L), "PDPT[" + d + "]");
            for (int i = 0; i < 512; i++) {
                long expect = ((d * 512L + i) << 21) | 0x83;
                assertEquals(expect, mem.getLong(0xb000 + d * 0x1000L + i * 8L), "PD" + d + "[" + i + "]");
            }
        }
        assertEquals(0, mem.getLong(0xa000 + 4 * 8L), "PDPT[4] empty: map stops at 4 GiB");
        assertEquals(4L << 30, PageTables.mappedBytes());
    }

    /** Guest address {@code va} translated through the loader's tables, as the MMU would. */
    static long translate(GuestMemory mem, long cr3, long va) {
        long pml4e = mem.getLong(cr3 + ((va >>> 39) & 511) * 8);
        assertTrue((pml4e & 1) != 0, "PML4E present for 0x" + Long.toHexString(va));
        long pdpte = mem.getLong((pml4e & 0x000f_ffff_ffff_f000L) + ((va >>> 30) & 511) * 8);
        assertTrue((pdpte & 1) != 0, "PDPTE present for 0x" + Long.toHexString(va));
        long pde = mem.getLong((pdpte & 0x000f_ffff_ffff_f000L) + ((va >>> 21) & 511) * 8);
        assertTrue((pde & 1) != 0 && (pde & 0x80) != 0, "2 MiB PDE present for 0x" + Long.toHexString(va));
        return (pde & 0x000f_ffff_ffe0_0000L) | (va & 0x1f_ffff);
    }

    static void cmdline(GuestMemory mem, BootParams zp, String cmdline) {
        assertEquals(0x20000, zp.u32(BootParams.CMD_LINE_PTR));
        assertEquals(0, zp.u32(BootParams.EXT_CMD_LINE_PTR));
        byte[] expected = cmdline.getBytes(StandardCharsets.UTF_8);
        byte[] got = new byte[expected.length + 1];
        mem.read(0x20000, got, 0, got.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], "cmdline byte " + i);
        }
        assertEquals(0, got[expected.length], "cmdline NUL terminated");
    }

    /** e820 for a guest of {@code memSize} bytes as GuestMemory lays it out. */
    static void e820(BootParams zp, long memSize) {
        long gap = GuestMemory.MMIO_GAP_START;
        int n = zp.e820Count();
        assertEquals(memSize > gap ? 4 : 3, n);
        assertEntry(zp, 0, 0, 0x9fc00, BootParams.E820_RAM);
        assertEntry(zp, 1, 0x9fc00, 0x100000 - 0x9fc00, BootParams.E820_RESERVED);
        assertEntry(zp, 2, 0x100000, Math.min(memSize, gap) - 0x100000, BootParams.E820_RAM);
        if (memSize > gap) {
            assertEntry(zp, 3, 1L << 32, memSize - gap, BootParams.E820_RAM);
        }
    }

    private static void assertEntry(BootParams zp, int i, long addr, long size, int type) {
        assertEquals(addr, zp.e820Addr(i), "e820[" + i + "].addr");
        assertEquals(size, zp.e820Size(i), "e820[" + i + "].size");
        assertEquals(type, zp.e820Type(i), "e820[" + i + "].type");
    }

    /** The MP table and the ACPI tables, both describing {@code vcpus} CPUs. */
    static void platformTables(GuestMemory mem, int vcpus) {
        mpTable(mem, vcpus);
        long rsdp = AcpiTablesTest.findRsdp(mem);
        assertEquals(AcpiTables.RSDP_ADDRESS, rsdp, "RSDP found by a BIOS-area scan, as Linux does");
        assertEquals(rsdp, mem.getLong(BootLayout.ZERO_PAGE_START + BootParams.ACPI_RSDP_ADDR), "boot_params.acpi_rsdp_addr");
        assertEquals(vcpus, AcpiTablesTest.madtProcessors(mem, rsdp));
    }

    static void mpTable(GuestMemory mem, int vcpus) {
        long mpf = MpTableTest.findFloatingPointer(mem, 0x9fc00, 0x400);
        assertEquals(0x9fc00, mpf, "MP floating pointer at the EBDA");
        long mpc = mem.getInt(mpf + 4) & 0xffffffffL;
        int length = mem.getShort(mpc + MpTable.MPC_LENGTH) & 0xffff;
        assertEquals(0, MpTableTest.sum(mem, mpc, length));
        assertEquals(vcpus + 28, mem.getShort(mpc + MpTable.MPC_OEMCOUNT));
    }

    /** The initrd's bytes at its place in guest memory equal the file's. */
    static void bytesAt(GuestMemory mem, long gpa, byte[] expected) {
        byte[] got = new byte[expected.length];
        mem.read(gpa, got, 0, got.length);
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != got[i]) {
                throw new AssertionError(String.format("guest byte at 0x%x is 0x%02x, file has 0x%02x", gpa + i, got[i], expected[i]));
            }
        }
    }
}
