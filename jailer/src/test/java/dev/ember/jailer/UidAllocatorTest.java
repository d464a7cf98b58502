package dev.ember.jailer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The uid allocator reads every process's Uid and Gid lines by hand (the jailer runs interpreted,
 * and a line list plus regular expressions per process cost its start ~40 ms): it finds the same
 * ids the line-and-regex reading found, on this host's real /proc, and reads a whole file when
 * its first bytes cut the lines off.
 */
class UidAllocatorTest {
    /** The reading the allocator had: every "Uid:"/"Gid:" line's fields, split on white space. */
    private static Set<Long> byLines(String status) {
        Set<Long> ids = new HashSet<>();
        for (String line : status.split("\n")) {
            if (line.startsWith("Uid:") || line.startsWith("Gid:")) {
                for (String f : line.substring(4).trim().split("\\s+")) {
                    ids.add(Long.parseLong(f));
                }
            }
        }
        return ids;
    }

    @Test
    void statusIdsAreTheLineReadingsOnThisHost() throws IOException {
        int compared = 0;
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : procs) {
                byte[] status;
                try {
                    status = Files.readAllBytes(proc.resolve("status"));
                } catch (IOException e) {
                    continue;
                }
                Set<Long> ids = new HashSet<>();
                int prefix = Math.min(status.length, UidAllocator.STATUS_PREFIX_BYTES);
                assertTrue(UidAllocator.addStatusIds(status, prefix, ids) || UidAllocator.addStatusIds(status, status.length, ids), proc.toString());
                assertEquals(byLines(new String(status, StandardCharsets.US_ASCII)), ids, proc.toString());
                compared++;
            }
        }
        assertTrue(compared > 3, "processes compared: " + compared);
    }

    @Test
    void aStatusCutOffBeforeItsIdLinesEndIsNotTaken() {
        byte[] status = "Name:\tx\nUid:\t1\t2\t3\t4\nGid:\t5\t6\t7\t8\nGroups:\n".getBytes(StandardCharsets.US_ASCII);
        Set<Long> ids = new HashSet<>();
        assertFalse(UidAllocator.addStatusIds(status, status.length - 16, ids), "Gid line cut off");
        ids.clear();
        assertTrue(UidAllocator.addStatusIds(status, status.length, ids));
        assertEquals(Set.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), ids);
    }

    @Test
    void decimalIsWhatTheDigitPatternMatched() {
        for (String s : new String[] {"", "0", "123", "1234567890", "12345678901", "12a", "-1", " 1", "\u0661", "+5"}) {
            assertEquals(s.matches("\\d{1,10}"), UidAllocator.isDecimal(s, 10), s);
            assertEquals(s.matches("\\d+"), UidAllocator.isDecimal(s, Integer.MAX_VALUE), s);
        }
    }
}
