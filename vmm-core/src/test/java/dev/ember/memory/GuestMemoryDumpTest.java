package dev.ember.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.snapshot.AtomicFile;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dumpTo writes non-zero pages (runs across scan chunks included) and leaves zero pages as holes; mapFile reads it back. */
class GuestMemoryDumpTest {
    private static final long SIZE = 4L << 20;
    private static final long PAGE = 4096;

    @TempDir
    Path dir;

    @Test
    void dumpAndMapRoundTripWithHoles() throws Exception {
        long[] pages = {0, 255, 256, 257, 700, SIZE / PAGE - 1}; // 256 is the first page of the second 1 MiB chunk
        Path file = dir.resolve("mem");
        try (GuestMemory mem = GuestMemory.create(SIZE)) {
            for (long p : pages) {
                mem.putLong(p * PAGE + 8, 0x1000 + p);
                mem.putByte(p * PAGE + PAGE - 1, (byte) 0x5a);
            }
            AtomicFile.write(file, mem::dumpTo);
        }
        assertEquals(SIZE, Files.size(file));
        long allocated = Long.parseLong(new String(new ProcessBuilder("stat", "-c", "%b", file.toString()).start()
                .getInputStream().readAllBytes()).trim()) * 512;
        assertTrue(allocated < SIZE / 2, "zero pages are holes: " + allocated + " bytes allocated of " + SIZE);

        int fd = Native.LIBC.open(file.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        try (GuestMemory back = GuestMemory.mapFile(SIZE, fd)) {
            Native.LIBC.close(fd);
            for (long gpa = 0; gpa < SIZE; gpa += 8) {
                long page = gpa / PAGE;
                long expected = 0;
                boolean written = false;
                for (long p : pages) {
                    written |= p == page;
                }
                if (written && gpa % PAGE == 8) {
                    expected = 0x1000 + page;
                } else if (written && gpa % PAGE == PAGE - 8) {
                    expected = 0x5aL << 56;
                }
                assertEquals(expected, back.getLong(gpa), "guest-physical 0x" + Long.toHexString(gpa));
            }
            back.putLong(0, 42); // private: the file does not change
        }
        assertEquals(0x1000, java.nio.ByteBuffer.wrap(Files.readAllBytes(file), 8, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong());
    }
}
