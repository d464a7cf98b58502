package dev.ember.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchPhasesTest {
    /** Arrival time = 1000 ns per character: the offsets the parser picks are visible in the result. */
    private static long arrival(int offset) {
        return offset * 1000L;
    }

    @Test
    void phaseRunsFromTheStartLinesNewlineToTheEndLinesFirstByte() throws IOException {
        String out = "bench: blk capacity 65536 sectors, qd 8, seq 1024 KiB, random 4 KiB x 500, write-back\n"
                + "BENCH-START seq-read\n"
                + "BENCH-END seq-read\n"
                + "bench: seq-read 32 requests 33554432 bytes qd 8 notifies 5 interrupts 3\n";
        List<BenchPhases.Phase> ph = BenchPhases.parse(out, BenchPhasesTest::arrival);
        assertEquals(1, ph.size(), "the opening line is not a phase");
        BenchPhases.Phase p = ph.get(0);
        int startNewline = out.indexOf("BENCH-START seq-read\n") + "BENCH-START seq-read".length();
        int endFirst = out.indexOf("BENCH-END seq-read");
        assertEquals("seq-read", p.name());
        assertEquals((startNewline + 1) * 1000L, p.startNanos(), "all of the START line, newline included, had arrived");
        assertEquals((endFirst + 1) * 1000L, p.endNanos(), "the END line's first byte had arrived");
        assertEquals(32, p.count());
        assertEquals(33554432, p.bytes());
        assertEquals(0, p.lost());
        assertTrue(p.guestLine().endsWith("notifies 5 interrupts 3"));
    }

    @Test
    void netRxHasNoStartLineAndReportsLostFrames() throws IOException {
        String out = "BENCH-START net-tx\nBENCH-END net-tx\nbench: net-tx 500 frames 757000 bytes qd 8 notifies 63 interrupts 9\n"
                + "BENCH-READY net-rx\nBENCH-END net-rx\nbench: net-rx 498 frames 753972 bytes lost 2 notifies 9 interrupts 4\n";
        List<BenchPhases.Phase> ph = BenchPhases.parse(out, BenchPhasesTest::arrival);
        BenchPhases.Phase tx = BenchPhases.find(ph, "net-tx"), rx = BenchPhases.find(ph, "net-rx");
        assertEquals(500, tx.count());
        assertTrue(tx.startNanos() > 0);
        assertEquals(0, rx.startNanos(), "the host supplies net-rx's start (its first send)");
        assertEquals(498, rx.count());
        assertEquals(2, rx.lost());
        assertThrows(IOException.class, () -> BenchPhases.find(ph, "seq-read"));
    }

    @Test
    void phaseWhoseLinesArrivedInOneReadIsUntimed() throws IOException {
        String out = "BENCH-START calib\nBENCH-END calib\nbench: calib 100000 iterations 0 bytes (dec, jnz)\n";
        BenchPhases.Phase p = BenchPhases.find(BenchPhases.parse(out, offset -> 42L), "calib");
        assertTrue(Double.isNaN(p.seconds()), "no duration, rather than zero or a huge rate");
        assertEquals(100000, p.count());
    }

    @Test
    void resultWithoutEndLineIsAnError() {
        String out = "BENCH-START seq-write\nbench: seq-write 1 requests 4096 bytes qd 1 notifies 1 interrupts 1\n";
        IOException e = assertThrows(IOException.class, () -> BenchPhases.parse(out, BenchPhasesTest::arrival));
        assertTrue(e.getMessage().contains("seq-write"), e.getMessage());
    }
}
