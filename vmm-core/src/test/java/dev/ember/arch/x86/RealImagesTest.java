package dev.ember.arch.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.memory.GuestMemory;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loader against images built by real toolchains: the project's test guest (an ELF64 built
 * by gcc/ld in guest-images) and, when present, a Linux vmlinux and bzImage. Images that are not
 * there are reported as skipped (with the path looked at), never as passed.
 *
 * <p>Paths: EMBER_TESTGUEST, EMBER_VMLINUX, EMBER_BZIMAGE, else guest-images/out/{testguest.elf,
 * vmlinux, bzImage} in the repository.
 */
class RealImagesTest {
    private static final long MEM = 512L << 20;
    private static final String CMDLINE = "console=ttyS0 noapic reboot=k panic=1 nopv noxsave";

    @TempDir
    Path dir;

    static Path image(String env, String name) {
        String e = System.getenv(env);
        if (e != null && !e.isBlank()) {
            return Path.of(e);
        }
        return Path.of(System.getProperty("ember.repo", "..")).resolve("guest-images/out").resolve(name).toAbsolutePath().normalize();
    }

    static Path requireImage(String env, String name) {
        Path p = image(env, name);
        if (!Files.isRegularFile(p)) {
            System.out.println("SKIP: " + name + " not found at " + p + " (set " + env + " or build guest-images)");
            Assumptions.abort(name + " not available at " + p);
        }
        return p;
    }

    @Test
    void testGuestElfBuiltByGcc() throws Exception {
        checkElf(requireImage("EMBER_TESTGUEST", "testguest.elf"));
    }

    @Test
    void linuxVmlinux() throws Exception {
        checkElf(requireImage("EMBER_VMLINUX", "vmlinux"));
    }

    private void checkElf(Path kernel) throws IOException {
        Path initrd = TestImages.bytes(dir, "initrd", 70_000, 11);
        try (GuestMemory mem = GuestMemory.create(MEM); FileChannel ch = FileChannel.open(kernel)) {
            BootEntry e = X86Boot.load(mem, kernel, initrd, CMDLINE, 2);
            MappedByteBuffer f = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            f.order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(f.getLong(24), e.entryPoint(), "entry = e_entry");
            long phoff = f.getLong(32);
            int phnum = f.getShort(56) & 0xffff;
            long kernelEnd = 0;
            int loads = 0;
            for (int i = 0; i < phnum; i++) {
                int p = (int) (phoff + i * 56L);
                if (f.getInt(p) != 1) {
                    continue;
                }
                loads++;
                long off = f.getLong(p + 8), paddr = f.getLong(p + 24), filesz = f.getLong(p + 32), memsz = f.getLong(p + 40);
                byte[] chunk = new byte[(int) Math.min(filesz, 1 << 20)];
                for (long done = 0; done < filesz; done += chunk.length) {
                    int n = (int) Math.min(chunk.length, filesz - done);
                    byte[] want = new byte[n];
                    f.get((int) (off + done), want);
                    BootChecks.bytesAt(mem, paddr + done, want);
                }
                for (long a = paddr + filesz; a < paddr + memsz; a += 8) {
                    if (a + 8 <= paddr + memsz) {
                        assertEquals(0, mem.getLong(a), "bss zero at 0x" + Long.toHexString(a));
                    }
                }
                kernelEnd = Math.max(kernelEnd, paddr + memsz);
            }
            assertTrue(loads > 0);
            BootParams zp = BootParams.at(mem, e.zeroPage());
            assertEquals(0xAA55, zp.u16(BootParams.BOOT_FLAG));
            assertEquals(0x53726448L, zp.u32(BootParams.HEADER));
            BootChecks.cmdline(mem, zp, CMDLINE);
            long ramdisk = zp.u32(BootParams.RAMDISK_IMAGE);
            assertTrue(ramdisk >= kernelEnd, "initrd above the kernel");
            BootChecks.bytesAt(mem, ramdisk, Files.readAllBytes(initrd));
            BootChecks.e820(zp, MEM);
            BootChecks.gdtAndIdt(mem);
            BootChecks.pageTables(mem);
            BootChecks.platformTables(mem, 2);
            System.out.printf("real ELF %s: entry 0x%x, %d PT_LOAD, kernel end 0x%x, initrd at 0x%x%n",
                    kernel, e.entryPoint(), loads, kernelEnd, ramdisk);
        }
    }

    @Test
    void linuxBzImage() throws Exception {
        Path kernel = requireImage("EMBER_BZIMAGE", "bzImage");
        byte[] head;
        try (FileChannel ch = FileChannel.open(kernel)) {
            head = new byte[0x290];
            ch.read(java.nio.ByteBuffer.wrap(head), 0);
        }
        java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        int setupSects = head[0x1f1] == 0 ? 4 : head[0x1f1] & 0xff;
        long setupSize = (setupSects + 1) * 512L;
        int headerEnd = 0x202 + (head[0x201] & 0xff);
        try (GuestMemory mem = GuestMemory.create(MEM); FileChannel ch = FileChannel.open(kernel)) {
            BootEntry e = X86Boot.load(mem, kernel, null, CMDLINE, 1);
            assertEquals(0x100200, e.entryPoint());
            BootParams zp = BootParams.at(mem, e.zeroPage());
            assertTrue(zp.u16(BootParams.VERSION) >= 0x020c, "protocol 2.12+");
            assertTrue((zp.u16(BootParams.XLOADFLAGS) & BootParams.XLF_KERNEL_64) != 0);
            for (int off = 0x1f1; off < headerEnd; off++) {
                boolean written = off == BootParams.TYPE_OF_LOADER || off == BootParams.LOADFLAGS
                        || (off >= BootParams.CMD_LINE_PTR && off < BootParams.CMD_LINE_PTR + 4);
                if (!written) {
                    assertEquals(head[off], mem.getByte(e.zeroPage() + off), String.format("header byte 0x%x", off));
                }
            }
            MappedByteBuffer f = ch.map(FileChannel.MapMode.READ_ONLY, setupSize, ch.size() - setupSize);
            byte[] want = new byte[f.remaining()];
            f.get(want);
            BootChecks.bytesAt(mem, 0x100000, want);
            assertEquals(h.getInt(BootParams.CMDLINE_SIZE) & 0xffffffffL, zp.u32(BootParams.CMDLINE_SIZE));
            BootChecks.cmdline(mem, zp, CMDLINE);
            BootChecks.e820(zp, MEM);
            BootChecks.pageTables(mem);
            System.out.printf("real bzImage %s: protocol %x, setup_sects %d, payload %d bytes, init_size 0x%x%n",
                    kernel, zp.u16(BootParams.VERSION), setupSects, want.length, zp.u32(BootParams.INIT_SIZE));
        }
    }
}
