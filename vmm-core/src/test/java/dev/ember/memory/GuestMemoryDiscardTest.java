package dev.ember.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import dev.ember.sys.NativeMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * discard gives pages back to the host (they stop being resident, mincore says) and they read as
 * zero afterwards, for anonymous RAM and for RAM mapped from a snapshot file, whose old bytes
 * must not come back (what a balloon deflate after a snapshot load would otherwise show).
 */
class GuestMemoryDiscardTest {
    private static final long SIZE = 4L << 20;
    private static final long PAGE = 4096;

    @TempDir
    Path dir;

    private static int resident(GuestMemory mem, long gpa, long len) {
        int pages = (int) (len / PAGE);
        NativeMemory vec = Native.allocate(pages);
        assertEquals(0, Native.LIBC.mincore(mem.hostAddress(gpa, len), len, vec.address()));
        int n = 0;
        for (int i = 0; i < pages; i++) {
            n += vec.getByte(i) & 1;
        }
        return n;
    }

    @Test
    void anonymousPagesLeaveAndReadAsZero() {
        try (GuestMemory mem = GuestMemory.create(SIZE)) {
            mem.fill(0x100000, 64 * PAGE, (byte) 7);
            assertEquals(64, resident(mem, 0x100000, 64 * PAGE));
            assertTrue(mem.discard(0x100000 + PAGE, 62 * PAGE));
            assertEquals(2, resident(mem, 0x100000, 64 * PAGE), "the first and last page stay");
            assertEquals(0, mem.getByte(0x100000 + 5 * PAGE));
            assertEquals(7, mem.getByte(0x100000));
        }
    }

    @Test
    void snapshotFilePagesReadAsZeroNotAsTheFile() throws Exception {
        Path file = dir.resolve("mem");
        byte[] content = new byte[(int) SIZE];
        Arrays.fill(content, (byte) 0x5a);
        Files.write(file, content);
        int fd = Native.LIBC.open(file.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        try (GuestMemory mem = GuestMemory.mapFile(SIZE, fd)) {
            Native.LIBC.close(fd);
            mem.fill(0x200000, 16 * PAGE, (byte) 1); // private copies of 16 pages
            assertTrue(mem.discard(0x200000, 16 * PAGE));
            assertEquals(0, resident(mem, 0x200000, 16 * PAGE), "the private copies are gone");
            assertEquals(0, mem.getByte(0x200000 + 3 * PAGE + 9), "zero, not the file's 0x5a");
            assertEquals(0x5a, mem.getByte(0x300000), "pages not discarded still read the file");
            mem.putByte(0x200000, (byte) 3);
            assertEquals(3, mem.getByte(0x200000), "a discarded page is writable again");
        }
    }

    @Test
    void rangesThatAreNotWholeGuestPagesAreRefused() {
        try (GuestMemory mem = GuestMemory.create(SIZE)) {
            assertFalse(mem.discard(0x1001, PAGE));
            assertFalse(mem.discard(0x1000, 100));
            assertFalse(mem.discard(SIZE - PAGE, 2 * PAGE), "past the end of RAM");
            assertFalse(mem.discard(0, 0));
        }
    }
}
