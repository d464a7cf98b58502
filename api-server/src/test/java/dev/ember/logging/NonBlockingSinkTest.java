package dev.ember.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.metrics.Counter;
import dev.ember.metrics.Metrics;
import java.io.DataInputStream;
import java.io.FileInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NonBlockingSinkTest {
    @TempDir
    Path dir;

    /**
     * A metrics line is longer than PIPE_BUF, so the kernel may write part of it into a nearly
     * full FIFO: the reader (Kata's metrics FIFO reader, say) would then get half a JSON object
     * glued to the next line. A line that does not fit is dropped whole and counted instead.
     */
    @Test
    void aFifoThatIsNearlyFullGetsWholeLinesOnly() throws Exception {
        Path fifo = dir.resolve("metrics.fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        Counter missed = Metrics.group("sink_test_" + System.nanoTime()).counter("missed");
        String line = "{\"x\":\"" + "a".repeat(6000 - 9) + "\"}\n";
        assertEquals(6000, line.length());
        try (NonBlockingSink sink = NonBlockingSink.openForWholeRecords(fifo.toString(), missed)) {
            int written = 0;
            while (sink.write(line)) {
                written++;
                assertTrue(written < 10_000, "the FIFO never filled");
            }
            assertEquals(1, missed.get());
            assertFalse(sink.write(line), "still no room");
            // A plain read loop: JDK 17's FileInputStream.readNBytes asks even a FIFO for its position and fails (ESPIPE).
            try (DataInputStream in = new DataInputStream(new FileInputStream(fifo.toFile()))) {
                byte[] all = new byte[written * 6000];
                in.readFully(all);
                String text = new String(all, StandardCharsets.US_ASCII);
                assertEquals(text, line.repeat(written), "every line whole");
                assertTrue(sink.write("{\"next\":1}\n"), "room again once read");
                byte[] next = new byte[11];
                in.readFully(next);
                assertEquals("{\"next\":1}\n", new String(next, StandardCharsets.US_ASCII),
                        "no torn line before it: the dropped one left no bytes behind");
            }
        }
    }
}
