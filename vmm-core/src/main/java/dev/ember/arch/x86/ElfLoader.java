package dev.ember.arch.x86;

import dev.ember.memory.GuestMemory;
import java.nio.ByteBuffer;

/**
 * Loads an uncompressed ELF64 x86_64 {@code vmlinux}: each PT_LOAD segment is read from the file
 * straight into guest memory at its physical address (p_paddr), the rest of the segment (bss) is
 * zeroed, and the kernel is entered at e_entry, which for vmlinux is physical (startup_64).
 *
 * <p>A vmlinux carries no setup header, so the loader writes the fields a boot loader would have
 * copied from one: boot_flag, the "HdrS" magic and kernel_alignment.
 */
final class ElfLoader {
    /** x86 COMMAND_LINE_SIZE is 2048 including the NUL; vmlinux has no header to say otherwise. */
    static final long CMDLINE_MAX = 2047;
    /** kernel_alignment Firecracker reports for vmlinux (CONFIG_PHYSICAL_ALIGN default). */
    static final long KERNEL_ALIGNMENT = 0x0100_0000;

    private ElfLoader() {}

    static boolean isElf(ByteBuffer ident) {
        return ident.limit() >= 4 && ident.getInt(0) == Elf64.MAGIC;
    }

    static LoadedKernel load(GuestMemory mem, ImageFile file, BootParams zeroPage) {
        ByteBuffer eh = file.read(0, Elf64.EHDR_SIZE);
        String name = "kernel image " + file.path();
        if (eh.get(Elf64.E_IDENT_CLASS) != Elf64.ELFCLASS64) {
            throw new KernelLoadException(KernelLoadException.Reason.FORMAT, name + " is a 32-bit ELF file: a 64-bit x86_64 vmlinux is needed");
        }
        if (eh.get(Elf64.E_IDENT_DATA) != Elf64.ELFDATA2LSB) {
            throw new KernelLoadException(KernelLoadException.Reason.FORMAT, name + " is a big-endian ELF file: an x86_64 vmlinux is needed");
        }
        int machine = eh.getShort(Elf64.E_MACHINE) & 0xffff;
        if (machine != Elf64.EM_X86_64) {
            throw new KernelLoadException(KernelLoadException.Reason.FORMAT, name + " is an ELF file for machine " + machine
                    + ", not x86_64 (e_machine " + Elf64.EM_X86_64 + ")");
        }
        int type = eh.getShort(Elf64.E_TYPE) & 0xffff;
        if (type != Elf64.ET_EXEC) {
            throw new KernelLoadException(KernelLoadException.Reason.FORMAT, name + " has ELF type " + type + (type == Elf64.ET_DYN ? " (shared object/PIE)" : "")
                    + ": a kernel vmlinux is an executable (ET_EXEC)");
        }
        long entry = eh.getLong(Elf64.E_ENTRY);
        long phoff = eh.getLong(Elf64.E_PHOFF);
        int phentsize = eh.getShort(Elf64.E_PHENTSIZE) & 0xffff;
        int phnum = eh.getShort(Elf64.E_PHNUM) & 0xffff;
        if (phnum == 0 || phnum == Elf64.PN_XNUM) {
            throw new KernelLoadException(KernelLoadException.Reason.FORMAT, name + " has " + (phnum == 0 ? "no" : "too many") + " program headers (e_phnum " + phnum + ")");
        }
        if (phentsize != Elf64.PHDR_SIZE) {
            throw new KernelLoadException(KernelLoadException.Reason.FORMAT, name + " has e_phentsize " + phentsize + ", expected " + Elf64.PHDR_SIZE + " for ELF64");
        }
        ByteBuffer ph = file.read(phoff, phnum * Elf64.PHDR_SIZE);

        long lowest = Long.MAX_VALUE, end = 0;
        boolean entryInside = false;
        int loads = 0;
        for (int i = 0; i < phnum; i++) {
            int p = i * Elf64.PHDR_SIZE;
            if (ph.getInt(p + Elf64.P_TYPE) != Elf64.PT_LOAD) {
                continue;
            }
            long offset = ph.getLong(p + Elf64.P_OFFSET);
            long paddr = ph.getLong(p + Elf64.P_PADDR);
            long filesz = ph.getLong(p + Elf64.P_FILESZ);
            long memsz = ph.getLong(p + Elf64.P_MEMSZ);
            checkSegment(mem, file, name, i, offset, paddr, filesz, memsz);
            file.loadInto(mem, offset, paddr, filesz);
            if (memsz > filesz) {
                mem.fill(paddr + filesz, memsz - filesz, (byte) 0);
            }
            lowest = Math.min(lowest, paddr);
            end = Math.max(end, paddr + memsz);
            entryInside |= entry >= paddr && entry - paddr < memsz;
            loads++;
        }
        if (loads == 0) {
            throw new KernelLoadException(KernelLoadException.Reason.FORMAT, name + " has no PT_LOAD segment: nothing to load");
        }
        if (!entryInside) {
            throw new KernelLoadException(KernelLoadException.Reason.FORMAT, String.format("%s: entry point e_entry 0x%x is not inside any PT_LOAD segment"
                    + " (the loader jumps to a physical address; was the kernel linked with a virtual entry?)", name, entry));
        }

        zeroPage.putU16(BootParams.BOOT_FLAG, BootParams.BOOT_FLAG_MAGIC);
        zeroPage.putU32(BootParams.HEADER, BootParams.HEADER_MAGIC);
        zeroPage.putU32(BootParams.KERNEL_ALIGNMENT, KERNEL_ALIGNMENT);
        // No header bounds the initrd; ramdisk_image is 32 bits wide, so keep it below 4 GiB.
        return new LoadedKernel(KernelFormat.ELF, entry, lowest, end, CMDLINE_MAX, 0xFFFF_FFFFL);
    }

    private static void checkSegment(GuestMemory mem, ImageFile file, String name, int index,
                                     long offset, long paddr, long filesz, long memsz) {
        String seg = String.format("%s: program header %d (PT_LOAD, p_paddr 0x%x, p_memsz 0x%x)", name, index, paddr, memsz);
        if (filesz < 0 || memsz < 0 || filesz > memsz) {
            throw new KernelLoadException(KernelLoadException.Reason.FORMAT, seg + " has p_filesz 0x" + Long.toHexString(filesz) + " larger than p_memsz");
        }
        if (offset < 0 || offset > file.size() - filesz) {
            throw new KernelLoadException(KernelLoadException.Reason.TRUNCATED, String.format("%s extends past the end of the file (p_offset 0x%x + p_filesz 0x%x > size 0x%x):"
                    + " the file is truncated", seg, offset, filesz, file.size()));
        }
        if (paddr < BootLayout.HIMEM_START) {
            throw new KernelLoadException(KernelLoadException.Reason.FORMAT, String.format("%s starts below 1 MiB, where the loader keeps the zero page, page tables"
                    + " and MP table: the kernel must be linked to load at or above 0x%x", seg, BootLayout.HIMEM_START));
        }
        if (paddr + memsz < paddr || !mem.isValid(paddr, memsz)) {
            throw new KernelLoadException(KernelLoadException.Reason.MEMORY, String.format("kernel does not fit in guest memory: %s needs [0x%x, 0x%x) but guest RAM"
                    + " ends at 0x%x%s; give the VM more memory", seg, paddr, paddr + memsz, BootLayout.lowMemoryEnd(mem),
                    paddr + memsz > GuestMemory.MMIO_GAP_START ? " (and the MMIO gap starts at 0xd0000000)" : ""));
        }
    }
}
