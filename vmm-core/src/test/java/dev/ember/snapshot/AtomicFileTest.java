package dev.ember.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.sys.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Temp file + fsync + rename: the target is either the old file or the whole new one. */
class AtomicFileTest {
    @TempDir
    Path dir;

    private List<Path> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void writesTheWholeFileAndLeavesNoTemporary() throws Exception {
        Path f = dir.resolve("state");
        AtomicFile.write(f, "first".getBytes());
        AtomicFile.write(f, "second version".getBytes());
        assertEquals("second version", Files.readString(f));
        assertEquals(List.of(f), listing());
    }

    @Test
    void aFailingWriterLeavesTheOldFileAndNoTemporary() throws Exception {
        Path f = dir.resolve("mem");
        AtomicFile.write(f, "old".getBytes());
        RuntimeException boom = new IllegalStateException("disk on fire");
        RuntimeException thrown = assertThrows(RuntimeException.class, () -> AtomicFile.write(f, fd -> {
            Native.LIBC.write(fd, "half of the new".getBytes(), 15);
            throw boom;
        }));
        assertEquals(boom, thrown);
        assertEquals("old", Files.readString(f));
        assertEquals(List.of(f), listing());
    }

    @Test
    void contentIsWrittenThroughTheDescriptor() throws Exception {
        Path f = dir.resolve("sparse");
        AtomicFile.write(f, fd -> {
            assertEquals(0, Native.LIBC.ftruncate(fd, 1 << 20));
            assertEquals(3, Native.LIBC.write(fd, new byte[] {7, 8, 9}, 3));
        });
        byte[] b = Files.readAllBytes(f);
        assertEquals(1 << 20, b.length);
        assertArrayEquals(new byte[] {7, 8, 9, 0}, java.util.Arrays.copyOf(b, 4));
    }

    @Test
    void missingDirectoryIsNamed() {
        Path f = dir.resolve("no/such/dir/state");
        SnapshotIoException e = assertThrows(SnapshotIoException.class, () -> AtomicFile.write(f, new byte[1]));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("must exist"), e.getMessage());
    }
}
