package dev.ember.arch.x86;

/**
 * Where the loader puts things in guest-physical memory. Everything the boot vCPU needs before
 * the kernel builds its own structures sits below 1 MiB, clear of the kernel (which starts at
 * 1 MiB for a bzImage and at its ELF p_paddr, at least 1 MiB, for a vmlinux).
 *
 * <pre>
 *   0x00000 - 0x004ff  real-mode IVT and BIOS data area (left zero)
 *   0x00500 - 0x0051f  GDT: null, code 0x08, data 0x10, TSS 0x18
 *   0x00520 - 0x00527  IDT (empty)
 *   0x07000 - 0x07fff  zero page (struct boot_params)
 *   0x08000 - 0x08fef  boot stack, RSP = 0x8ff0 at entry
 *   0x09000            PML4
 *   0x0a000            PDPT
 *   0x0b000 - 0x0efff  4 page directories, 2 MiB pages: identity map of the first 4 GiB
 *   0x20000 - 0x2ffff  kernel command line (NUL terminated)
 *   0x9fc00 - 0x9ffff  EBDA: MP floating pointer + MP configuration table
 *   0xe0000 - ...      ACPI tables: RSDP, FACS, DSDT, FADT, MADT, XSDT (AcpiTables)
 *   0x9fc00 - 0xfffff  reported to the kernel as reserved (EBDA, VGA hole, BIOS area)
 *   0x100000 -         kernel (bzImage protected-mode code at 1 MiB; vmlinux at p_paddr)
 *   top of low RAM     initrd, page aligned, as high as the kernel allows
 * </pre>
 * The same addresses as Firecracker, so guests behave the same under both.
 */
public final class BootLayout {
    public static final long GDT_START = 0x500;
    public static final long IDT_START = 0x520;
    public static final long ZERO_PAGE_START = 0x7000;
    public static final long BOOT_STACK_POINTER = 0x8ff0;
    public static final long PML4_START = 0x9000;
    public static final long PDPT_START = 0xa000;
    public static final long PD_START = 0xb000;
    /** Page directories after PD_START; each maps 1 GiB with 2 MiB pages. */
    public static final int PD_COUNT = 4;
    public static final long CMDLINE_START = 0x20000;
    /** Bytes reserved for the command line including its NUL. */
    public static final long CMDLINE_AREA_SIZE = 0x10000;
    /** Start of the extended BIOS data area; the MP table lives here (Linux scans 639-640 KiB). */
    public static final long EBDA_START = 0x9fc00;
    public static final long MPTABLE_START = EBDA_START;
    /** First byte the kernel may use above the legacy hole. */
    public static final long HIMEM_START = 0x100000;
    /** Where a bzImage's protected-mode code is loaded; its 64-bit entry is 0x200 further. */
    public static final long BZIMAGE_LOAD_ADDRESS = HIMEM_START;
    public static final long BZIMAGE_ENTRY_OFFSET = 0x200;
    public static final long PAGE_SIZE = 0x1000;

    private BootLayout() {}

    /** End of the RAM region that starts at guest-physical 0: at most the MMIO gap start (0xD0000000). */
    public static long lowMemoryEnd(dev.ember.memory.GuestMemory mem) {
        return mem.regions().get(0).guestEnd();
    }
}
