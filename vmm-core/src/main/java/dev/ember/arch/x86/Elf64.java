package dev.ember.arch.x86;

/**
 * The parts of the ELF64 file format the vmlinux loader reads ({@code Elf64_Ehdr},
 * {@code Elf64_Phdr}); offsets checked against {@code <elf.h>} by BootParamsLayoutTest.
 */
final class Elf64 {
    static final int EHDR_SIZE = 64;
    static final int E_IDENT_CLASS = 4, E_IDENT_DATA = 5, E_IDENT_VERSION = 6;
    static final int E_TYPE = 16;       // u16
    static final int E_MACHINE = 18;    // u16
    static final int E_VERSION = 20;    // u32
    static final int E_ENTRY = 24;      // u64
    static final int E_PHOFF = 32;      // u64
    static final int E_PHENTSIZE = 54;  // u16
    static final int E_PHNUM = 56;      // u16
    static final int E_SHOFF = 40;      // u64
    static final int E_SHENTSIZE = 58;  // u16
    static final int E_SHNUM = 60;      // u16

    static final int SHDR_SIZE = 64;
    static final int SH_TYPE = 4;       // u32
    static final int SH_OFFSET = 24;    // u64
    static final int SH_SIZE = 32;      // u64
    static final int SH_LINK = 40;      // u32
    static final int SHT_SYMTAB = 2;

    static final int SYM_SIZE = 24;
    static final int ST_NAME = 0;       // u32
    static final int ST_VALUE = 8;      // u64

    static final int PHDR_SIZE = 56;
    static final int P_TYPE = 0;        // u32
    static final int P_OFFSET = 8;      // u64
    static final int P_PADDR = 24;      // u64
    static final int P_FILESZ = 32;     // u64
    static final int P_MEMSZ = 40;      // u64

    static final int MAGIC = 0x464c457f;   // "\177ELF" as a little-endian u32
    static final int ELFCLASS64 = 2, ELFDATA2LSB = 1, EV_CURRENT = 1;
    static final int ET_EXEC = 2, ET_DYN = 3;
    static final int EM_X86_64 = 62;
    static final int PT_LOAD = 1;
    /** e_phnum value meaning "more than 0xfffe program headers" (count in section 0). */
    static final int PN_XNUM = 0xffff;

    private Elf64() {}
}
