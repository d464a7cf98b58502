package dev.ember.arch.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.memory.GuestMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** X86Boot with a generated bzImage: payload at 1 MiB, setup header copied, 64-bit entry. */
class X86BootBzImageTest {
    private static final long MEM = 128L << 20;
    private static final String CMDLINE = "console=ttyS0 root=/dev/vda rw";

    @TempDir
    Path dir;

    @Test
    void loadsPayloadAtOneMibAndCopiesSetupHeader() throws Exception {
        TestImages.BzSpec spec = new TestImages.BzSpec();
        Path kernel = TestImages.bzImage(dir, "bzImage", spec);
        Path initrd = TestImages.bytes(dir, "initrd", 3 * 4096 + 1, 5);
        byte[] file = Files.readAllBytes(kernel);
        try (GuestMemory mem = GuestMemory.create(MEM)) {
            mem.fill(0x7000, 0x1000, (byte) 0x66);
            BootEntry e = X86Boot.load(mem, kernel, initrd, CMDLINE, 4);

            BootChecks.entryRegisters(e, 0x100200);
            int setup = TestImages.setupSize(spec);
            for (int i = 0; i < spec.payloadSize; i++) {
                assertEquals(TestImages.payloadByte(i), mem.getByte(0x100000 + i), "payload byte " + i);
            }

            BootParams zp = BootParams.at(mem, e.zeroPage());
            // Setup header: [0x1f1, 0x26c) from the file, except the fields the loader writes.
            for (int off = 0x1f1; off < 0x26c; off++) {
                boolean written = off == BootParams.TYPE_OF_LOADER || off == BootParams.LOADFLAGS
                        || (off >= BootParams.RAMDISK_IMAGE && off < BootParams.RAMDISK_SIZE + 4)
                        || (off >= BootParams.CMD_LINE_PTR && off < BootParams.CMD_LINE_PTR + 4);
                if (!written) {
                    assertEquals(file[off], mem.getByte(0x7000 + off), String.format("setup header byte 0x%x copied", off));
                }
            }
            for (int off = 0x26c; off < 0x290; off++) {
                assertEquals(0, zp.u8(off), String.format("byte 0x%x past the header end stays zero", off));
            }
            assertEquals(0, zp.u8(0x1f0), "byte before the header stays zero");
            assertEquals(2, zp.u8(BootParams.SETUP_SECTS));
            assertEquals(0x020f, zp.u16(BootParams.VERSION));
            assertEquals(2047, zp.u32(BootParams.CMDLINE_SIZE), "kernel's cmdline_size left as the kernel declared it");
            assertEquals(0xff, zp.u8(BootParams.TYPE_OF_LOADER));
            assertEquals(BootParams.LOADED_HIGH, zp.u8(BootParams.LOADFLAGS));
            assertEquals(0, zp.u16(BootParams.HEAP_END_PTR));
            assertEquals(0x100000, zp.u32(BootParams.CODE32_START));
            BootChecks.cmdline(mem, zp, CMDLINE);

            long ramdisk = zp.u32(BootParams.RAMDISK_IMAGE);
            assertEquals((MEM - (3 * 4096 + 1)) & ~0xfffL, ramdisk);
            assertEquals(3 * 4096 + 1, zp.u32(BootParams.RAMDISK_SIZE));
            BootChecks.bytesAt(mem, ramdisk, Files.readAllBytes(initrd));

            BootChecks.e820(zp, MEM);
            BootChecks.gdtAndIdt(mem);
            BootChecks.pageTables(mem);
            BootChecks.platformTables(mem, 4);
            assertEquals(setup, (file[0x1f1] + 1) * 512);
        }
    }

    @Test
    void setupSectsZeroMeansFour() throws Exception {
        TestImages.BzSpec spec = new TestImages.BzSpec();
        spec.setupSects = 0;
        Path kernel = TestImages.bzImage(dir, "bzImage0", spec);
        try (GuestMemory mem = GuestMemory.create(MEM)) {
            X86Boot.load(mem, kernel, null, "", 1);
            for (int i = 0; i < 4096; i++) {
                assertEquals(TestImages.payloadByte(i), mem.getByte(0x100000 + i), "payload after 5 sectors, byte " + i);
            }
        }
    }

    @Test
    void initrdHonoursInitrdAddrMax() throws Exception {
        TestImages.BzSpec spec = new TestImages.BzSpec();
        spec.initrdAddrMax = 0x37ff_ffffL;   // old kernels' limit: below 896 MiB
        Path kernel = TestImages.bzImage(dir, "bzImage", spec);
        Path initrd = TestImages.bytes(dir, "initrd", 4096, 1);
        try (GuestMemory mem = GuestMemory.create(1L << 30)) {
            BootEntry e = X86Boot.load(mem, kernel, initrd, "", 1);
            BootParams zp = BootParams.at(mem, e.zeroPage());
            assertEquals(0x3800_0000L - 4096, zp.u32(BootParams.RAMDISK_IMAGE));
        }
    }
}
