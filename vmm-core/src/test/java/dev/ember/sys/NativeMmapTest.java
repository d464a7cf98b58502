package dev.ember.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.ember.memory.GuestMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Native.mmap passes all six arguments (jnr-ffi's generated six-argument calls did not: mmap got
 * a garbage offset and failed with EINVAL, so GuestMemory.create could not map anything), and so
 * does the seven-argument {@code syscall} (libffi), which saves errno as the others do.
 */
class NativeMmapTest {
    @TempDir
    Path dir;

    @Test
    void fileMappingHonoursTheOffset() throws Exception {
        byte[] content = new byte[3 * 4096];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i / 4096 + 1);   // page n holds bytes n+1
        }
        Path f = Files.write(dir.resolve("pages"), content);
        int fd = Native.check(Native.LIBC.open(f.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0), "open");
        try {
            long addr = Native.mmap(0, 4096, LibC.PROT_READ, LibC.MAP_SHARED, fd, 2 * 4096);
            assertNotEquals(LibC.MAP_FAILED, addr, () -> "mmap failed, errno " + Native.errno());
            dev.ember.sys.NativeMemory p = NativeMemory.view(addr, 4096);
            assertEquals(3, p.getByte(0), "mapped the third page");
            assertEquals(3, p.getByte(4095));
            Native.LIBC.munmap(addr, 4096);
            long viaSyscall = Native.LIBC.syscall(Native.SYS_MMAP, 0, 4096, LibC.PROT_READ, LibC.MAP_SHARED, fd, 4096);
            assertNotEquals(LibC.MAP_FAILED, viaSyscall, () -> "mmap through syscall failed, errno " + Native.errno());
            assertEquals(2, NativeMemory.view(viaSyscall, 4096).getByte(0), "mapped the second page: the sixth argument arrived");
            Native.LIBC.munmap(viaSyscall, 4096);
        } finally {
            Native.LIBC.close(fd);
        }
    }

    @Test
    void errnoIsSavedByEveryCallForm() {
        assertEquals(-1, Native.LIBC.close(-1));
        assertEquals(9, Native.errno(), "EBADF from close");
        assertEquals(LibC.MAP_FAILED, Native.LIBC.syscall(Native.SYS_MMAP, 0, 4096, LibC.PROT_READ, LibC.MAP_SHARED, 1_000_000, 0));
        assertEquals(9, Native.errno(), "EBADF from the seven-argument syscall");
        assertEquals(-1, Native.LIBC.open("/nonexistent/ember", LibC.O_RDONLY, 0));
        assertEquals(LibC.ENOENT, Native.errno(), "ENOENT from open with a C string");
    }

    @Test
    void guestMemoryCreateMapsAndAccesses() {
        try (GuestMemory mem = GuestMemory.create(4L << 20)) {
            mem.putLong(0x1000, 0x1122334455667788L);
            assertEquals(0x1122334455667788L, mem.getLong(0x1000));
            assertEquals(4L << 20, mem.size());
        }
    }
}
