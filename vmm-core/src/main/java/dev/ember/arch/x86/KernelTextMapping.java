package dev.ember.arch.x86;

import dev.ember.memory.GuestMemory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * After a triple fault, reads the guest kernel's own page-table entries for its text out of
 * guest memory and says whether they are intact. KVM resets a vCPU's registers on a shutdown
 * exit, so the registers cannot say why the CPU gave up; when the last exits show an instruction
 * fetch page fault in kernel text that had just run (issue 10, under nested TCG), this tells a
 * real page-table corruption (something wrote over the guest's tables: a device model's stray
 * write, a guest bug) from a CPU that faulted on tables that are fine (the emulator).
 *
 * <p>Works for an x86-64 Linux {@code vmlinux} with its symbol table, loaded at its link
 * address (phys_base 0, as {@link ElfLoader} loads it): the walk starts at {@code
 * level3_kernel_pgt}, which every page directory's kernel half points at, and covers
 * [{@code _text}, {@code _etext}). Runs only after the VM has ended, never on a hot path.
 */
public final class KernelTextMapping {
    private static final long START_KERNEL_MAP = 0xffff_ffff_8000_0000L;
    private static final long PRESENT = 1, LARGE = 1L << 7;
    private static final long ADDRESS_MASK = 0x000f_ffff_ffff_f000L;
    private static final int MAX_REPORTED = 6;

    private final long level3Gpa;
    private final long topGpa;
    private final long textStart;
    private final long textEnd;

    KernelTextMapping(long level3Gpa, long topGpa, long textStart, long textEnd) {
        this.level3Gpa = level3Gpa;
        this.topGpa = topGpa;
        this.textStart = textStart;
        this.textEnd = textEnd;
    }

    /** The check for {@code vmlinux}, or null when it is not an ELF with those three symbols. */
    public static KernelTextMapping of(Path vmlinux) throws IOException {
        long[] v = symbols(vmlinux, "level3_kernel_pgt", "init_top_pgt", "_text", "_etext");
        if (v == null) {
            return null;
        }
        return new KernelTextMapping(v[0] - START_KERNEL_MAP, v[1] - START_KERNEL_MAP, v[2], v[3]);
    }

    /** One line: how many entries were read and which, if any, are not present or point outside guest RAM. */
    public String describe(GuestMemory memory) {
        List<String> bad = new ArrayList<>();
        int read = 0;
        for (long va = textStart & ~0x1f_ffffL; va < textEnd; va += 0x20_0000L) {
            long pudAt = level3Gpa + 8 * ((va >>> 30) & 511);
            long pud = entry(memory, pudAt);
            read++;
            if (!sane(memory, "PUD", va, pudAt, pud, bad)) {
                continue;
            }
            long pmdAt = (pud & ADDRESS_MASK) + 8 * ((va >>> 21) & 511);
            long pmd = entry(memory, pmdAt);
            read++;
            if (!sane(memory, "PMD", va, pmdAt, pmd, bad) || (pmd & LARGE) != 0) {
                continue;
            }
            long pt = pmd & ADDRESS_MASK;
            for (long page = Math.max(va, textStart & ~0xfffL); page < Math.min(va + 0x20_0000L, textEnd); page += 0x1000) {
                long pteAt = pt + 8 * ((page >>> 12) & 511);
                read++;
                sane(memory, "PTE", page, pteAt, entry(memory, pteAt), bad);
            }
        }
        String range = String.format("guest kernel text 0x%x-0x%x, page tables from level3_kernel_pgt at GPA 0x%x", textStart, textEnd, level3Gpa);
        String tables = bad.isEmpty() ? read + " entries read, all present and inside guest RAM"
                : read + " entries read, " + bad.size() + (bad.size() >= MAX_REPORTED ? "+" : "") + " bad: " + String.join("; ", bad);
        return range + ": " + tables + "; " + topLevels(memory);
    }

    /**
     * The top level too: every page directory (each process has one; the vCPU's CR3 is gone after
     * the shutdown) must point its kernel-text slot (511) where init_top_pgt's does. A directory
     * is recognised by its kernel half (slots 256-510) equal to init_top_pgt's, which Linux copies
     * into each new one, so a damaged slot 511 still shows.
     */
    private String topLevels(GuestMemory memory) {
        if (!memory.isValid(topGpa, 4096)) {
            return "init_top_pgt outside guest RAM";
        }
        long kernelSlot = memory.getLong(topGpa + 8 * 511);
        int probe = -1;
        for (int i = 256; i < 511 && probe < 0; i++) {
            if (memory.getLong(topGpa + 8L * i) != 0) {
                probe = i;
            }
        }
        if ((kernelSlot & PRESENT) == 0 || probe < 0) {
            return String.format("init_top_pgt not filled in yet (slot 511 = 0x%x)", kernelSlot);
        }
        long probeValue = memory.getLong(topGpa + 8L * probe);
        int directories = 0;
        List<String> bad = new ArrayList<>();
        for (var region : memory.regions()) {
            for (long page = region.guestBase(); page + 4096 <= region.guestEnd(); page += 4096) {
                if (memory.getLong(page + 8L * probe) != probeValue || !sameKernelHalf(memory, page)) {
                    continue;
                }
                directories++;
                long slot = memory.getLong(page + 8 * 511);
                if (slot != kernelSlot && bad.size() < MAX_REPORTED) {
                    bad.add(String.format("0x%x has 0x%016x", page, slot));
                }
            }
        }
        return String.format("%d page directories found (kernel half as init_top_pgt's), %s", directories,
                bad.isEmpty() ? String.format("each with slot 511 = 0x%x as init_top_pgt", kernelSlot)
                        : "slot 511 differs from init_top_pgt's 0x" + Long.toHexString(kernelSlot) + " in: " + String.join("; ", bad));
    }

    private boolean sameKernelHalf(GuestMemory memory, long page) {
        for (int i = 256; i < 511; i++) {
            if (memory.getLong(page + 8L * i) != memory.getLong(topGpa + 8L * i)) {
                return false;
            }
        }
        return true;
    }

    private static long entry(GuestMemory memory, long gpa) {
        return memory.isValid(gpa, 8) ? memory.getLong(gpa) : -1L;
    }

    private static boolean sane(GuestMemory memory, String level, long va, long at, long value, List<String> bad) {
        String why = null;
        if (value == -1L && !memory.isValid(at, 8)) {
            why = "the table itself is outside guest RAM";
        } else if ((value & PRESENT) == 0) {
            why = "not present";
        } else if (!memory.isValid(value & ADDRESS_MASK, 1)) {
            why = "points outside guest RAM";
        }
        if (why == null) {
            return true;
        }
        if (bad.size() < MAX_REPORTED) {
            bad.add(String.format("%s for 0x%x at GPA 0x%x = 0x%016x (%s)", level, va, at, value, why));
        }
        return false;
    }

    /** The values of {@code names} in the ELF's symbol table, in order; null when any is missing. */
    static long[] symbols(Path elf, String... names) throws IOException {
        try (FileChannel ch = FileChannel.open(elf, StandardOpenOption.READ)) {
            if (ch.size() < Elf64.EHDR_SIZE) {
                return null;
            }
            ByteBuffer eh = read(ch, 0, Elf64.EHDR_SIZE);
            if (eh.getInt(0) != Elf64.MAGIC || eh.get(Elf64.E_IDENT_CLASS) != Elf64.ELFCLASS64) {
                return null;
            }
            long shoff = eh.getLong(Elf64.E_SHOFF);
            int shentsize = Short.toUnsignedInt(eh.getShort(Elf64.E_SHENTSIZE));
            int shnum = Short.toUnsignedInt(eh.getShort(Elf64.E_SHNUM));
            if (shoff == 0 || shentsize < Elf64.SHDR_SIZE || shnum == 0 || shnum > 4096) {
                return null;
            }
            ByteBuffer sh = read(ch, shoff, shentsize * shnum);
            for (int i = 0; i < shnum; i++) {
                int at = i * shentsize;
                if (sh.getInt(at + Elf64.SH_TYPE) != Elf64.SHT_SYMTAB) {
                    continue;
                }
                int link = sh.getInt(at + Elf64.SH_LINK);
                if (link <= 0 || link >= shnum) {
                    return null;
                }
                ByteBuffer syms = read(ch, sh.getLong(at + Elf64.SH_OFFSET), sh.getLong(at + Elf64.SH_SIZE));
                ByteBuffer strs = read(ch, sh.getLong(link * shentsize + Elf64.SH_OFFSET), sh.getLong(link * shentsize + Elf64.SH_SIZE));
                return lookUp(syms, strs, names);
            }
            return null;
        }
    }

    private static long[] lookUp(ByteBuffer syms, ByteBuffer strs, String[] names) {
        byte[][] wanted = new byte[names.length][];
        for (int i = 0; i < names.length; i++) {
            wanted[i] = names[i].getBytes(StandardCharsets.US_ASCII);
        }
        long[] values = new long[names.length];
        int found = 0;
        for (int at = 0; at + Elf64.SYM_SIZE <= syms.limit() && found < names.length; at += Elf64.SYM_SIZE) {
            int name = syms.getInt(at + Elf64.ST_NAME);
            for (int i = 0; i < names.length; i++) {
                if (values[i] == 0 && nameIs(strs, name, wanted[i])) {
                    values[i] = syms.getLong(at + Elf64.ST_VALUE);
                    found++;
                }
            }
        }
        return found == names.length ? values : null;
    }

    private static boolean nameIs(ByteBuffer strs, int at, byte[] name) {
        if (at < 0 || at + name.length >= strs.limit()) {
            return false;
        }
        for (int i = 0; i < name.length; i++) {
            if (strs.get(at + i) != name[i]) {
                return false;
            }
        }
        return strs.get(at + name.length) == 0;
    }

    private static ByteBuffer read(FileChannel ch, long offset, long length) throws IOException {
        if (offset < 0 || length < 0 || length > 64L << 20 || offset + length > ch.size()) {
            throw new IOException("ELF section at " + offset + " (+" + length + ") is outside the file");
        }
        ByteBuffer b = ByteBuffer.allocate((int) length).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, offset + b.position()) < 0) {
                throw new IOException("ELF file ends early");
            }
        }
        return b.flip();
    }
}
