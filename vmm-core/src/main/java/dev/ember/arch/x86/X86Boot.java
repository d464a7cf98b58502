package dev.ember.arch.x86;

import dev.ember.log.Log;
import dev.ember.memory.GuestMemory;
import dev.ember.pci.PciResources;
import dev.ember.memory.GuestRegion;
import java.nio.file.Path;

/**
 * Prepares guest memory for entering Linux through the x86_64 64-bit boot protocol, as
 * Firecracker does: kernel (ELF vmlinux or bzImage), zero page, command line, initrd, e820 map,
 * GDT/IDT, identity page tables, MP table and ACPI tables. The addresses are in {@link BootLayout}.
 */
public final class X86Boot {
    private static final System.Logger LOG = Log.logger(X86Boot.class);

    private X86Boot() {}

    /**
     * Loads everything and returns where and how the boot vCPU enters the kernel.
     *
     * @param mem         guest RAM, from {@link GuestMemory#create}
     * @param kernel      an ELF vmlinux or a bzImage
     * @param initrdOrNull an initrd/initramfs image, or null
     * @param cmdline     the kernel command line (without NUL)
     * @param vcpuCount   vCPUs to list in the MP table, 1..{@link MpTable#MAX_VCPUS}
     * @throws KernelLoadException if the kernel, initrd or command line cannot be used, naming the cause
     * @throws IllegalArgumentException if vcpuCount is out of range
     */
    public static BootEntry load(GuestMemory mem, Path kernel, Path initrdOrNull, String cmdline, int vcpuCount) {
        return load(mem, kernel, initrdOrNull, cmdline, vcpuCount, null);
    }

    /**
     * {@link #load(GuestMemory, Path, Path, String, int)} for a VM with a PCI root complex (or none,
     * {@code pciOrNull} null): ACPI gets MCFG and the host bridge, e820 reserves the ECAM window.
     */
    public static BootEntry load(GuestMemory mem, Path kernel, Path initrdOrNull, String cmdline, int vcpuCount, PciResources pciOrNull) {
        requireBootable(cmdline, vcpuCount);
        return finish(mem, loadImages(mem, kernel, initrdOrNull), cmdline, vcpuCount, pciOrNull);
    }

    /**
     * The kernel and initrd in guest memory, their header fields in the zero page: the part of
     * {@link #load} that reads files and copies megabytes, which a VMM can do once boot-source
     * and the memory are known, before the devices (and so the command line) are.
     * {@link #finish} completes the boot set-up on the same memory.
     *
     * @throws KernelLoadException if the kernel or initrd cannot be used, naming the cause
     */
    public static Images loadImages(GuestMemory mem, Path kernel, Path initrdOrNull) {
        long lowEnd = BootLayout.lowMemoryEnd(mem);
        if (lowEnd <= BootLayout.HIMEM_START) {
            throw new KernelLoadException(KernelLoadException.Reason.MEMORY, String.format("guest memory (%d KiB) is too small: the boot layout needs more than 1 MiB"
                    + " plus room for the kernel", lowEnd >> 10));
        }
        BootParams zp = BootParams.at(mem, BootLayout.ZERO_PAGE_START);
        zp.clear();
        LoadedKernel k = KernelLoader.load(mem, kernel, zp);
        if (initrdOrNull != null) {
            Initrd.Placement initrd = Initrd.load(mem, initrdOrNull, k);
            zp.putU32(BootParams.RAMDISK_IMAGE, initrd.address());
            zp.putU32(BootParams.RAMDISK_SIZE, initrd.size());
        }
        return new Images(mem, kernel, initrdOrNull, k);
    }

    /**
     * After {@link #loadImages} on {@code mem}: command line, loader fields, e820 map, GDT/IDT,
     * page tables, MP table and ACPI tables; returns where and how the boot vCPU enters.
     *
     * @throws KernelLoadException if the command line does not fit the kernel
     * @throws IllegalArgumentException if vcpuCount is out of range, or {@code images} were loaded into other memory
     */
    public static BootEntry finish(GuestMemory mem, Images images, String cmdline, int vcpuCount, PciResources pciOrNull) {
        requireBootable(cmdline, vcpuCount);
        int cmdlineLen = writeCommandLine(mem, images, cmdline);
        BootEntry entry = writeTables(mem, images, vcpuCount, pciOrNull);
        LoadedKernel k = images.kernel;
        BootParams zp = BootParams.at(mem, BootLayout.ZERO_PAGE_START);
        Path initrdPath = images.initrd;
        LOG.log(System.Logger.Level.INFO, () -> String.format(
                "loaded %s %s: entry 0x%x, kernel [0x%x, 0x%x), cmdline %d bytes, initrd %s, %d vCPU(s) in MP table and MADT",
                k.format(), images.kernelPath, k.entryPoint(), k.start(), k.end(), cmdlineLen,
                initrdPath == null ? "none" : String.format("%s at 0x%x (%d bytes)", initrdPath, zp.u32(BootParams.RAMDISK_IMAGE),
                        zp.u32(BootParams.RAMDISK_SIZE)), vcpuCount));
        return entry;
    }

    /**
     * The part of {@link #finish} that only the machine decides (e820 map, GDT/IDT, page tables,
     * MP table, ACPI tables), so a VMM can write it before the devices are known; {@link
     * #writeCommandLine} completes the boot set-up.
     */
    public static BootEntry writeTables(GuestMemory mem, Images images, int vcpuCount, PciResources pciOrNull) {
        requireBootable("", vcpuCount);
        requireLoadedInto(mem, images);
        BootParams zp = BootParams.at(mem, BootLayout.ZERO_PAGE_START);
        writeE820(mem, zp);
        if (pciOrNull != null) {
            // Not RAM: reserved so nothing else claims it (Linux takes the MCFG region itself only from the DSDT's motherboard resource).
            zp.addE820(pciOrNull.ecamBase(), pciOrNull.ecamSize(), BootParams.E820_RESERVED);
        }
        Gdt.write(mem);
        long pml4 = PageTables.write(mem);
        MpTable.write(mem, BootLayout.MPTABLE_START, vcpuCount);
        zp.putU64(BootParams.ACPI_RSDP_ADDR, AcpiTables.write(mem, vcpuCount, pciOrNull));
        return new BootEntry(images.kernel.entryPoint(), BootLayout.ZERO_PAGE_START, BootLayout.BOOT_STACK_POINTER, pml4,
                BootLayout.GDT_START, Gdt.GDT_LIMIT, BootLayout.IDT_START, Gdt.IDT_LIMIT);
    }

    /**
     * The command line and the loader's fields of the zero page; returns the line's length.
     *
     * @throws KernelLoadException if the command line does not fit the kernel
     */
    public static int writeCommandLine(GuestMemory mem, Images images, String cmdline) {
        requireBootable(cmdline, 1);
        requireLoadedInto(mem, images);
        LoadedKernel k = images.kernel;
        BootParams zp = BootParams.at(mem, BootLayout.ZERO_PAGE_START);
        int cmdlineLen = CommandLine.write(mem, cmdline, k);
        zp.putU32(BootParams.CMD_LINE_PTR, BootLayout.CMDLINE_START);
        if (k.format() == KernelFormat.ELF) {
            // A bzImage's cmdline_size is the kernel's own (read-only) limit; vmlinux has none, so state the one applied.
            zp.putU32(BootParams.CMDLINE_SIZE, k.cmdlineMax());
        }
        zp.putU8(BootParams.TYPE_OF_LOADER, BootParams.LOADER_TYPE_UNDEFINED);
        // LOADED_HIGH: the protected-mode kernel is at 1 MiB. CAN_USE_HEAP/heap_end_ptr describe the
        // real-mode setup code's heap, which does not run on a 64-bit entry, so they stay clear.
        zp.putU8(BootParams.LOADFLAGS, zp.u8(BootParams.LOADFLAGS) | BootParams.LOADED_HIGH);
        return cmdlineLen;
    }

    private static void requireLoadedInto(GuestMemory mem, Images images) {
        if (images.memory != mem) {
            throw new IllegalArgumentException("the kernel was loaded into another guest memory");
        }
    }

    private static void requireBootable(String cmdline, int vcpuCount) {
        if (vcpuCount < 1 || vcpuCount > MpTable.MAX_VCPUS) {
            throw new IllegalArgumentException("vcpu count must be between 1 and " + MpTable.MAX_VCPUS + ", got " + vcpuCount);
        }
        if (cmdline == null) {
            throw new IllegalArgumentException("kernel command line must not be null (pass \"\" for none)");
        }
    }

    /** A kernel (and initrd) {@link #loadImages} put into one guest memory, for {@link #finish}. */
    public static final class Images {
        private final GuestMemory memory;
        private final Path kernelPath;
        private final Path initrd;
        private final LoadedKernel kernel;

        private Images(GuestMemory memory, Path kernelPath, Path initrd, LoadedKernel kernel) {
            this.memory = memory;
            this.kernelPath = kernelPath;
            this.initrd = initrd;
            this.kernel = kernel;
        }

        /** The kernel image file loaded. */
        public Path kernelPath() {
            return kernelPath;
        }

        /** The initrd file loaded, or null. */
        public Path initrdPath() {
            return initrd;
        }
    }

    /**
     * RAM below the EBDA, the EBDA/VGA/BIOS area reserved, RAM from 1 MiB to the end of the low
     * region (at most the MMIO gap start, 0xD0000000), and RAM above 4 GiB for larger guests. The
     * MMIO gap itself is left out of the map (as Firecracker does): devices in it claim their
     * ranges as I/O memory.
     */
    static void writeE820(GuestMemory mem, BootParams zp) {
        for (GuestRegion r : mem.regions()) {
            if (r.guestBase() == 0) {
                zp.addE820(0, BootLayout.EBDA_START, BootParams.E820_RAM);
                zp.addE820(BootLayout.EBDA_START, BootLayout.HIMEM_START - BootLayout.EBDA_START, BootParams.E820_RESERVED);
                zp.addE820(BootLayout.HIMEM_START, r.guestEnd() - BootLayout.HIMEM_START, BootParams.E820_RAM);
            } else {
                zp.addE820(r.guestBase(), r.size(), BootParams.E820_RAM);
            }
        }
    }
}
