package dev.ember.arch.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.memory.GuestMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** X86Boot with a generated ELF64 vmlinux: what ends up in guest memory. */
class X86BootElfTest {
    private static final long MEM = 256L << 20;
    private static final String CMDLINE = "console=ttyS0 reboot=k panic=1 nopv noxsave";

    @TempDir
    Path dir;

    @Test
    void loadsSegmentsZeroesBssAndFillsZeroPage() throws Exception {
        Path kernel = TestImages.elf(dir, "vmlinux", new TestImages.ElfSpec());
        Path initrd = TestImages.bytes(dir, "initrd.cpio", 10_000, 3);
        try (GuestMemory mem = GuestMemory.create(MEM)) {
            // Garbage where bss and the boot structures go: the loader must overwrite/zero it.
            mem.fill(TestImages.SEG1_PADDR, TestImages.SEG1_MEMSZ + 0x1000, (byte) 0x77);
            mem.fill(0x7000, 0x1000, (byte) 0x66);

            BootEntry e = X86Boot.load(mem, kernel, initrd, CMDLINE, 2);

            BootChecks.entryRegisters(e, TestImages.ELF_ENTRY);
            for (int i = 0; i < TestImages.SEG0_FILESZ; i++) {
                assertEquals(TestImages.pattern(0, i), mem.getByte(TestImages.SEG0_PADDR + i), "segment 0 byte " + i);
            }
            for (int i = 0; i < TestImages.SEG1_FILESZ; i++) {
                assertEquals(TestImages.pattern(1, i), mem.getByte(TestImages.SEG1_PADDR + i), "segment 1 byte " + i);
            }
            for (long a = TestImages.SEG1_PADDR + TestImages.SEG1_FILESZ; a < TestImages.SEG1_PADDR + TestImages.SEG1_MEMSZ; a++) {
                assertEquals(0, mem.getByte(a), "bss byte at 0x" + Long.toHexString(a));
            }
            assertEquals(0x77, mem.getByte(TestImages.SEG1_PADDR + TestImages.SEG1_MEMSZ), "nothing written past p_memsz");

            BootParams zp = BootParams.at(mem, e.zeroPage());
            assertEquals(0xAA55, zp.u16(BootParams.BOOT_FLAG));
            assertEquals(0x53726448L, zp.u32(BootParams.HEADER));
            assertEquals(0x1000000L, zp.u32(BootParams.KERNEL_ALIGNMENT));
            assertEquals(0xff, zp.u8(BootParams.TYPE_OF_LOADER));
            assertEquals(BootParams.LOADED_HIGH, zp.u8(BootParams.LOADFLAGS));
            assertEquals(2047, zp.u32(BootParams.CMDLINE_SIZE));
            assertEquals(0, zp.u8(BootParams.SENTINEL));
            assertEquals(0, zp.u8(0x000), "unrelated fields cleared");
            assertEquals(0, zp.u64(0xff8), "unrelated fields cleared to the end of the page");
            BootChecks.cmdline(mem, zp, CMDLINE);

            long ramdisk = zp.u32(BootParams.RAMDISK_IMAGE);
            assertEquals(10_000, zp.u32(BootParams.RAMDISK_SIZE));
            assertEquals(0, ramdisk % 4096, "initrd page aligned");
            assertEquals((MEM - 10_000) & ~0xfffL, ramdisk, "initrd as high as possible");
            BootChecks.bytesAt(mem, ramdisk, Files.readAllBytes(initrd));

            BootChecks.e820(zp, MEM);
            BootChecks.gdtAndIdt(mem);
            BootChecks.pageTables(mem);
            assertEquals(TestImages.ELF_ENTRY, BootChecks.translate(mem, e.pml4(), e.entryPoint()), "entry identity mapped");
            assertEquals(ramdisk + 5, BootChecks.translate(mem, e.pml4(), ramdisk + 5), "initrd identity mapped");
            BootChecks.platformTables(mem, 2);
        }
    }

    @Test
    void withoutInitrdRamdiskFieldsStayZero() throws Exception {
        Path kernel = TestImages.elf(dir, "vmlinux", new TestImages.ElfSpec());
        try (GuestMemory mem = GuestMemory.create(64L << 20)) {
            BootEntry e = X86Boot.load(mem, kernel, null, "", 1);
            BootParams zp = BootParams.at(mem, e.zeroPage());
            assertEquals(0, zp.u32(BootParams.RAMDISK_IMAGE));
            assertEquals(0, zp.u32(BootParams.RAMDISK_SIZE));
            BootChecks.cmdline(mem, zp, "");
            BootChecks.e820(zp, 64L << 20);
            BootChecks.platformTables(mem, 1);
        }
    }

    @Test
    void largeGuestGetsRamAboveFourGibAndInitrdBelowTheGap() throws Exception {
        long size = GuestMemory.MMIO_GAP_START + (512L << 20);
        Path kernel = TestImages.elf(dir, "vmlinux", new TestImages.ElfSpec());
        Path initrd = TestImages.bytes(dir, "initrd", 8192, 9);
        try (GuestMemory mem = GuestMemory.create(size)) {
            BootEntry e = X86Boot.load(mem, kernel, initrd, "console=ttyS0", 32);
            BootParams zp = BootParams.at(mem, e.zeroPage());
            BootChecks.e820(zp, size);
            long ramdisk = zp.u32(BootParams.RAMDISK_IMAGE);
            assertEquals(GuestMemory.MMIO_GAP_START - 8192, ramdisk, "initrd ends at the MMIO gap");
            assertTrue(BootChecks.translate(mem, e.pml4(), ramdisk) == ramdisk);
            BootChecks.platformTables(mem, 32);
        }
    }

    /**
     * The steps a VMM runs apart (images once boot-source and memory are known, tables once the
     * machine is, the command line at the start) leave guest memory byte for byte as one load does.
     */
    @Test
    void loadingInStepsLeavesTheSameMemoryAsOneLoad() throws Exception {
        Path kernel = TestImages.elf(dir, "vmlinux", new TestImages.ElfSpec());
        Path initrd = TestImages.bytes(dir, "initrd.cpio", 10_000, 3);
        long size = 32L << 20;
        try (GuestMemory whole = GuestMemory.create(size); GuestMemory steps = GuestMemory.create(size)) {
            BootEntry once = X86Boot.load(whole, kernel, initrd, CMDLINE, 2);
            X86Boot.Images images = X86Boot.loadImages(steps, kernel, initrd);
            BootEntry split = X86Boot.writeTables(steps, images, 2, null);
            X86Boot.writeCommandLine(steps, images, CMDLINE);
            assertEquals(once, split);
            byte[] a = new byte[1 << 20];
            byte[] b = new byte[1 << 20];
            for (long gpa = 0; gpa < size; gpa += a.length) {
                whole.read(gpa, a, 0, a.length);
                steps.read(gpa, b, 0, b.length);
                assertTrue(java.util.Arrays.equals(a, b), "guest memory differs in the MiB at 0x" + Long.toHexString(gpa));
            }
            try (GuestMemory other = GuestMemory.create(size)) {
                assertThrows(IllegalArgumentException.class, () -> X86Boot.writeCommandLine(other, images, CMDLINE),
                        "images belong to the memory they were loaded into");
            }
        }
    }
}
