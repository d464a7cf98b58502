package dev.ember.arch.x86;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Builds small but well-formed kernel images for the loader tests: an ELF64 x86_64 executable
 * with two PT_LOAD segments (the second with bss) and a PT_NOTE, and a bzImage with a real
 * setup header in front of a protected-mode payload.
 */
final class TestImages {
    static final long ELF_ENTRY = 0x100_0000;
    static final long SEG0_PADDR = 0x100_0000, SEG1_PADDR = 0x120_0000;
    static final int SEG0_FILESZ = 0x3000, SEG1_FILESZ = 0x1800, SEG1_MEMSZ = 0x5000;
    static final int SEG0_OFFSET = 0x1000, SEG1_OFFSET = 0x4000;

    /** Mutable knobs for the ELF header and first segment, to build bad images. */
    static final class ElfSpec {
        int elfClass = Elf64.ELFCLASS64, data = Elf64.ELFDATA2LSB, type = Elf64.ET_EXEC, machine = Elf64.EM_X86_64;
        long entry = ELF_ENTRY, seg0Paddr = SEG0_PADDR, seg1Paddr = SEG1_PADDR;
        long seg1Memsz = SEG1_MEMSZ;
        int phnum = 3;
        /** Cut the file short after this many bytes (0 = keep all). */
        int truncateTo;
    }

    private TestImages() {}

    /** Byte {@code i} of a segment's file content: distinct per segment, never all-zero. */
    static byte pattern(int segment, int i) {
        return (byte) (0x5a ^ (i * 7) ^ (i >>> 8) ^ (segment * 0x33) | 1);
    }

    static Path elf(Path dir, String name, ElfSpec s) throws IOException {
        int size = SEG1_OFFSET + SEG1_FILESZ;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, Elf64.MAGIC);
        b.put(Elf64.E_IDENT_CLASS, (byte) s.elfClass);
        b.put(Elf64.E_IDENT_DATA, (byte) s.data);
        b.put(Elf64.E_IDENT_VERSION, (byte) Elf64.EV_CURRENT);
        b.putShort(Elf64.E_TYPE, (short) s.type);
        b.putShort(Elf64.E_MACHINE, (short) s.machine);
        b.putInt(Elf64.E_VERSION, Elf64.EV_CURRENT);
        b.putLong(Elf64.E_ENTRY, s.entry);
        b.putLong(Elf64.E_PHOFF, Elf64.EHDR_SIZE);
        b.putShort(52, (short) Elf64.EHDR_SIZE);            // e_ehsize
        b.putShort(Elf64.E_PHENTSIZE, (short) Elf64.PHDR_SIZE);
        b.putShort(Elf64.E_PHNUM, (short) s.phnum);
        phdr(b, 0, Elf64.PT_LOAD, SEG0_OFFSET, s.seg0Paddr, SEG0_FILESZ, SEG0_FILESZ);
        phdr(b, 1, 4 /* PT_NOTE: must be skipped */, 0x800, 0x800, 0x10, 0x10);
        phdr(b, 2, Elf64.PT_LOAD, SEG1_OFFSET, s.seg1Paddr, SEG1_FILESZ, s.seg1Memsz);
        for (int i = 0; i < SEG0_FILESZ; i++) {
            b.put(SEG0_OFFSET + i, pattern(0, i));
        }
        for (int i = 0; i < SEG1_FILESZ; i++) {
            b.put(SEG1_OFFSET + i, pattern(1, i));
        }
        byte[] bytes = b.array();
        if (s.truncateTo > 0) {
            bytes = java.util.Arrays.copyOf(bytes, s.truncateTo);
        }
        return Files.write(dir.resolve(name), bytes);
    }

    private static void phdr(ByteBuffer b, int i, int type, long offset, long paddr, long filesz, long memsz) {
        int p = Elf64.EHDR_SIZE + i * Elf64.PHDR_SIZE;
        b.putInt(p + Elf64.P_TYPE, type);
        b.putInt(p + 4, 7);                                   // p_flags RWX
        b.putLong(p + Elf64.P_OFFSET, offset);
        b.putLong(p + 16, paddr + 0xffff_ffff_8000_0000L);    // p_vaddr: kernel virtual, ignored
        b.putLong(p + Elf64.P_PADDR, paddr);
        b.putLong(p + Elf64.P_FILESZ, filesz);
        b.putLong(p + Elf64.P_MEMSZ, memsz);
        b.putLong(p + 48, 0x20_0000);
    }

    /** Knobs for the synthetic bzImage. */
    static final class BzSpec {
        int setupSects = 2;           // 0 means 4 per the protocol
        int version = 0x020f;
        int loadflags = BootParams.LOADED_HIGH;
        int xloadflags = BootParams.XLF_KERNEL_64 | BootParams.XLF_CAN_BE_LOADED_ABOVE_4G;
        long cmdlineSize = 2047;
        long initrdAddrMax = 0x7fff_ffffL;
        long prefAddress = 0x100_0000;
        long initSize = 0x80_0000;
        int payloadSize = 0x6000;
        /** Header end byte at 0x201 (jump displacement); 0x6a ends the header at 0x26c as Linux 6.x. */
        int headerEndByte = 0x6a;
        /** Bytes to drop from the end of the file. */
        int chop;
    }

    static int setupSize(BzSpec s) {
        return ((s.setupSects == 0 ? 4 : s.setupSects) + 1) * 512;
    }

    static byte payloadByte(int i) {
        return (byte) (0xa5 ^ (i * 13) ^ (i >>> 9));
    }

    static Path bzImage(Path dir, String name, BzSpec s) throws IOException {
        int setup = setupSize(s);
        ByteBuffer b = ByteBuffer.allocate(setup + s.payloadSize).order(ByteOrder.LITTLE_ENDIAN);
        b.put(BootParams.SETUP_SECTS, (byte) s.setupSects);
        b.putShort(0x1f2, (short) 1);                          // root_flags
        b.putInt(BootParams.SYSSIZE, (s.payloadSize + 15) / 16);
        b.putShort(0x1fa, (short) 0xffff);                     // vid_mode NORMAL_VGA
        b.putShort(BootParams.BOOT_FLAG, BootParams.BOOT_FLAG_MAGIC);
        b.put(BootParams.JUMP, (byte) 0xeb);
        b.put(BootParams.JUMP + 1, (byte) s.headerEndByte);
        b.putInt(BootParams.HEADER, BootParams.HEADER_MAGIC);
        b.putShort(BootParams.VERSION, (short) s.version);
        b.putShort(0x20e, (short) 0x3a0);                      // kernel_version string offset
        b.put(BootParams.LOADFLAGS, (byte) s.loadflags);
        b.putShort(0x212, (short) 0x8000);                     // setup_move_size
        b.putInt(BootParams.CODE32_START, 0x10_0000);
        b.putInt(BootParams.INITRD_ADDR_MAX, (int) s.initrdAddrMax);
        b.putInt(BootParams.KERNEL_ALIGNMENT, 0x20_0000);
        b.put(BootParams.RELOCATABLE_KERNEL, (byte) 1);
        b.put(0x235, (byte) 21);                               // min_alignment
        b.putShort(BootParams.XLOADFLAGS, (short) s.xloadflags);
        b.putInt(BootParams.CMDLINE_SIZE, (int) s.cmdlineSize);
        b.putLong(BootParams.PREF_ADDRESS, s.prefAddress);
        b.putInt(BootParams.INIT_SIZE, (int) s.initSize);
        b.putInt(0x264, 0x190);                                // handover_offset
        b.putInt(0x268, 0x1234);                               // kernel_info_offset
        // Bytes after the header belong to the setup code; the loader must not copy them.
        for (int i = 0x26c; i < setup; i++) {
            b.put(i, (byte) 0xcc);
        }
        for (int i = 0; i < s.payloadSize; i++) {
            b.put(setup + i, payloadByte(i));
        }
        byte[] bytes = b.array();
        if (s.chop > 0) {
            bytes = java.util.Arrays.copyOf(bytes, bytes.length - s.chop);
        }
        return Files.write(dir.resolve(name), bytes);
    }

    static Path bytes(Path dir, String name, int size, int seed) throws IOException {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (seed + i * 31 + (i >>> 10));
        }
        return Files.write(dir.resolve(name), b);
    }
}
