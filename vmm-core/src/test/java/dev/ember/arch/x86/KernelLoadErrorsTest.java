package dev.ember.arch.x86;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.arch.x86.KernelLoadException.Reason;
import dev.ember.memory.GuestMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way a kernel, initrd or command line can be unusable ends in a KernelLoadException that says why. */
class KernelLoadErrorsTest {
    @TempDir
    Path dir;
    private GuestMemory mem;

    @BeforeEach
    void map() {
        mem = GuestMemory.create(64L << 20);
    }

    @AfterEach
    void unmap() {
        mem.close();
    }

    /** Loading fails for {@code reason}, with a message (shown to the user as is) that names each of {@code fragments}. */
    private void fails(Reason reason, Path kernel, Path initrd, String cmdline, String... fragments) {
        KernelLoadException e = assertThrows(KernelLoadException.class, () -> X86Boot.load(mem, kernel, initrd, cmdline, 1));
        assertEquals(reason, e.reason(), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message should mention \"" + f + "\": " + e.getMessage());
        }
    }

    private Path elf(Consumer<TestImages.ElfSpec> tweak) throws Exception {
        TestImages.ElfSpec s = new TestImages.ElfSpec();
        tweak.accept(s);
        return TestImages.elf(dir, "vmlinux-" + System.nanoTime(), s);
    }

    private Path bz(Consumer<TestImages.BzSpec> tweak) throws Exception {
        TestImages.BzSpec s = new TestImages.BzSpec();
        tweak.accept(s);
        return TestImages.bzImage(dir, "bzImage-" + System.nanoTime(), s);
    }

    @Test
    void missingOrUnreadableKernelFile() throws Exception {
        fails(Reason.FILE, dir.resolve("nope"), null, "", "kernel image", "nope", "does not exist");
        fails(Reason.FILE, dir, null, "", "not a regular file");
        fails(Reason.FILE, Files.write(dir.resolve("empty"), new byte[0]), null, "", "neither an ELF vmlinux", "nor a bzImage", "empty");
    }

    @Test
    void neitherElfNorBzImage() throws Exception {
        fails(Reason.FORMAT, TestImages.bytes(dir, "junk", 4096, 1), null, "", "neither an ELF vmlinux", "HdrS");
        byte[] gz = new byte[1024];
        gz[0] = 0x1f;
        gz[1] = (byte) 0x8b;
        fails(Reason.FORMAT, Files.write(dir.resolve("vmlinux.gz"), gz), null, "", "gzip-compressed");
    }

    @Test
    void elfThatIsNotAnX86_64Executable() throws Exception {
        fails(Reason.FORMAT, elf(s -> s.elfClass = 1), null, "", "32-bit ELF");
        fails(Reason.FORMAT, elf(s -> s.data = 2), null, "", "big-endian");
        fails(Reason.FORMAT, elf(s -> s.machine = 183), null, "", "machine 183", "not x86_64");
        fails(Reason.FORMAT, elf(s -> s.type = Elf64.ET_DYN), null, "", "ET_EXEC", "shared object");
        fails(Reason.FORMAT, elf(s -> s.phnum = 0), null, "", "no program headers");
    }

    @Test
    void elfSegmentsThatCannotBeLoaded() throws Exception {
        fails(Reason.FORMAT, elf(s -> s.seg0Paddr = 0x8000), null, "", "program header 0 (PT_LOAD", "below 1 MiB");
        fails(Reason.FORMAT, elf(s -> s.entry = 0xffffffff81000000L), null, "", "e_entry 0xffffffff81000000", "not inside any PT_LOAD");
        fails(Reason.MEMORY, elf(s -> s.seg1Memsz = 128L << 20), null, "", "kernel does not fit in guest memory", "program header 2",
                "more memory");
        fails(Reason.TRUNCATED, elf(s -> s.truncateTo = TestImages.SEG1_OFFSET + 16), null, "", "past the end of the file", "truncated");
        fails(Reason.TRUNCATED, elf(s -> s.truncateTo = 100), null, "", "truncated");
    }

    @Test
    void bzImagesThatCannotBeEnteredIn64BitMode() throws Exception {
        fails(Reason.FORMAT, bz(s -> s.version = 0x0205), null, "", "boot protocol 2.05", "2.06 or later");
        fails(Reason.FORMAT, bz(s -> s.xloadflags = 0), null, "", "XLF_KERNEL_64", "64-bit entry");
        fails(Reason.FORMAT, bz(s -> s.loadflags = 0), null, "", "zImage", "LOADED_HIGH");
        fails(Reason.TRUNCATED, bz(s -> s.chop = 0x1000), null, "", "truncated", "syssize");
        fails(Reason.MEMORY, bz(s -> s.initSize = 0x1000_0000), null, "", "kernel does not fit in guest memory", "init_size");
    }

    @Test
    void commandLineLongerThanTheKernelAccepts() throws Exception {
        Path small = bz(s -> s.cmdlineSize = 100);
        assertDoesNotThrow(() -> X86Boot.load(mem, small, null, "x".repeat(100), 1));
        fails(Reason.COMMAND_LINE, small, null, "x".repeat(101), "101 bytes", "at most 100", "cmdline_size");
        Path vmlinux = elf(s -> { });
        assertDoesNotThrow(() -> X86Boot.load(mem, vmlinux, null, "y".repeat(2047), 1));
        fails(Reason.COMMAND_LINE, vmlinux, null, "y".repeat(2048), "2048 bytes", "at most 2047");
        fails(Reason.COMMAND_LINE, vmlinux, null, "console=ttyS0\0init=/bin/sh", "NUL");
    }

    @Test
    void initrdProblems() throws Exception {
        Path vmlinux = elf(s -> { });
        fails(Reason.FILE, vmlinux, dir.resolve("missing.cpio"), "", "initrd", "missing.cpio", "does not exist");
        fails(Reason.FILE, vmlinux, Files.write(dir.resolve("empty.cpio"), new byte[0]), "", "initrd", "empty");
        Path big = dir.resolve("big.cpio");
        try (var ch = java.nio.channels.FileChannel.open(big, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {1}), (48L << 20) - 1);   // sparse 48 MiB
        }
        fails(Reason.MEMORY, vmlinux, big, "", "initrd", "does not fit in guest memory", "kernel's end 0x1205000");
    }

    @Test
    void guestTooSmallOrBadVcpuCount() throws Exception {
        Path vmlinux = elf(s -> { });
        try (GuestMemory tiny = GuestMemory.create(1L << 20)) {
            KernelLoadException e = assertThrows(KernelLoadException.class, () -> X86Boot.load(tiny, vmlinux, null, "", 1));
            assertEquals(Reason.MEMORY, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("too small"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> X86Boot.load(mem, vmlinux, null, "", 0));
        assertTrue(e.getMessage().contains("between 1 and 32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> X86Boot.load(mem, vmlinux, null, "", 33));
    }
}
