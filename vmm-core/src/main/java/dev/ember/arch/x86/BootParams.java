package dev.ember.arch.x86;

import dev.ember.memory.GuestMemory;

/**
 * The zero page ({@code struct boot_params} with its embedded {@code struct setup_header}), laid
 * out in guest memory. Offsets are from the start of boot_params and are checked against the
 * kernel's {@code <asm/bootparam.h>} by BootParamsLayoutTest. The setup header sits at the same
 * offsets in a bzImage file (its first sector is a boot_params prefix), so the bzImage loader
 * uses these constants to parse the file too.
 */
public final class BootParams {
    public static final int SIZE = 0x1000;

    // struct boot_params
    /** Where the ACPI RSDP is (boot protocol 2.14+), so the kernel need not scan the BIOS area. */
    public static final int ACPI_RSDP_ADDR = 0x070;      // u64
    public static final int EXT_RAMDISK_IMAGE = 0x0c0;   // u32
    public static final int EXT_RAMDISK_SIZE = 0x0c4;    // u32
    public static final int EXT_CMD_LINE_PTR = 0x0c8;    // u32
    public static final int E820_ENTRIES = 0x1e8;        // u8
    public static final int SENTINEL = 0x1ef;            // u8
    public static final int HDR = 0x1f1;                 // struct setup_header
    public static final int E820_TABLE = 0x2d0;          // struct boot_e820_entry[128]
    public static final int E820_MAX_ENTRIES = 128;

    // struct setup_header, as offsets into boot_params
    public static final int SETUP_SECTS = 0x1f1;         // u8
    public static final int SYSSIZE = 0x1f4;             // u32, 16-byte paragraphs
    public static final int BOOT_FLAG = 0x1fe;           // u16
    public static final int JUMP = 0x200;                // u16; byte 0x201 gives the header's end
    public static final int HEADER = 0x202;              // u32 "HdrS"
    public static final int VERSION = 0x206;             // u16
    public static final int TYPE_OF_LOADER = 0x210;      // u8
    public static final int LOADFLAGS = 0x211;           // u8
    public static final int CODE32_START = 0x214;        // u32
    public static final int RAMDISK_IMAGE = 0x218;       // u32
    public static final int RAMDISK_SIZE = 0x21c;        // u32
    public static final int HEAP_END_PTR = 0x224;        // u16
    public static final int CMD_LINE_PTR = 0x228;        // u32
    public static final int INITRD_ADDR_MAX = 0x22c;     // u32
    public static final int KERNEL_ALIGNMENT = 0x230;    // u32
    public static final int RELOCATABLE_KERNEL = 0x234;  // u8
    public static final int XLOADFLAGS = 0x236;          // u16
    public static final int CMDLINE_SIZE = 0x238;        // u32
    public static final int PREF_ADDRESS = 0x258;        // u64
    public static final int INIT_SIZE = 0x260;           // u32
    /** End of boot_params' room for the setup header (_pad7 ends here); a copied header is clamped to it. */
    public static final int HDR_AREA_END = 0x290;

    // struct boot_e820_entry (packed)
    public static final int E820_ENTRY_SIZE = 20;
    public static final int E820_ADDR = 0, E820_SIZE = 8, E820_TYPE = 16;
    public static final int E820_RAM = 1, E820_RESERVED = 2;

    public static final short BOOT_FLAG_MAGIC = (short) 0xAA55;
    /** "HdrS" read as a little-endian u32. */
    public static final int HEADER_MAGIC = 0x53726448;
    /** type_of_loader for a boot loader without an assigned id. */
    public static final byte LOADER_TYPE_UNDEFINED = (byte) 0xff;
    public static final int LOADED_HIGH = 1 << 0, CAN_USE_HEAP = 1 << 7;
    public static final int XLF_KERNEL_64 = 1 << 0, XLF_CAN_BE_LOADED_ABOVE_4G = 1 << 1;

    private final GuestMemory mem;
    private final long base;

    private BootParams(GuestMemory mem, long base) {
        this.mem = mem;
        this.base = base;
    }

    /** The zero page at guest-physical {@code base}. */
    public static BootParams at(GuestMemory mem, long base) {
        if (!mem.isValid(base, SIZE)) {
            throw new KernelLoadException(KernelLoadException.Reason.MEMORY, String.format("zero page at 0x%x lies outside guest RAM", base));
        }
        return new BootParams(mem, base);
    }

    public long address() {
        return base;
    }

    /** Zero-fills the page, as the boot protocol requires before anything is put in it. */
    public void clear() {
        mem.fill(base, SIZE, (byte) 0);
    }

    public int u8(int offset) {
        return mem.getByte(base + offset) & 0xff;
    }

    public int u16(int offset) {
        return mem.getShort(base + offset) & 0xffff;
    }

    public long u32(int offset) {
        return mem.getInt(base + offset) & 0xffff_ffffL;
    }

    public long u64(int offset) {
        return mem.getLong(base + offset);
    }

    public void putU8(int offset, int v) {
        mem.putByte(base + offset, (byte) v);
    }

    public void putU16(int offset, int v) {
        mem.putShort(base + offset, (short) v);
    }

    public void putU32(int offset, long v) {
        mem.putInt(base + offset, (int) v);
    }

    public void putU64(int offset, long v) {
        mem.putLong(base + offset, v);
    }

    /** Appends an e820 entry {@code [addr, addr+size)} of {@code type}. */
    public void addE820(long addr, long size, int type) {
        int n = u8(E820_ENTRIES);
        if (n >= E820_MAX_ENTRIES) {
            throw new IllegalStateException("e820 table in the zero page is full (" + E820_MAX_ENTRIES + " entries)");
        }
        long entry = base + E820_TABLE + (long) n * E820_ENTRY_SIZE;
        mem.putLong(entry + E820_ADDR, addr);
        mem.putLong(entry + E820_SIZE, size);
        mem.putInt(entry + E820_TYPE, type);
        putU8(E820_ENTRIES, n + 1);
    }

    public int e820Count() {
        return u8(E820_ENTRIES);
    }

    public long e820Addr(int i) {
        return mem.getLong(e820Entry(i) + E820_ADDR);
    }

    public long e820Size(int i) {
        return mem.getLong(e820Entry(i) + E820_SIZE);
    }

    public int e820Type(int i) {
        return mem.getInt(e820Entry(i) + E820_TYPE);
    }

    private long e820Entry(int i) {
        if (i < 0 || i >= e820Count()) {
            throw new IndexOutOfBoundsException("e820 entry " + i + " of " + e820Count());
        }
        return base + E820_TABLE + (long) i * E820_ENTRY_SIZE;
    }
}
