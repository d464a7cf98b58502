package dev.ember.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Phase timings of the test guest's blk-bench and net-bench scenarios, taken on the host from
 * the serial console: a phase runs from the arrival of the newline of {@code BENCH-START <phase>}
 * to the arrival of the first byte of {@code BENCH-END <phase>}, so neither line's printing (a
 * VM exit per byte) is inside it. The guest's result line after the END line says what moved.
 */
final class BenchPhases {
    /** {@code bench: <phase> <n> requests/frames/iterations <bytes> bytes ...} printed after each phase. */
    static final Pattern RESULT = Pattern.compile("^bench: (\\S+) (\\d+) (?:requests|frames|iterations) (\\d+) bytes(?: lost (\\d+))?(.*)$",
            Pattern.MULTILINE);

    /** One finished phase: host-timed nanos (start and end on System.nanoTime), what the guest counted. */
    record Phase(String name, long startNanos, long endNanos, long count, long bytes, long lost, String guestLine) {
        /**
         * Host-timed duration, or NaN when START and END reached the host in the same read (a
         * phase shorter than the pipe's wake-up latency on a loaded machine cannot be timed).
         */
        double seconds() {
            return endNanos > startNanos ? (endNanos - startNanos) / 1e9 : Double.NaN;
        }
    }

    private BenchPhases() {}

    /**
     * All phases in {@code stdout}; {@code arrival} maps "characters up to this offset had
     * arrived" to System.nanoTime (see {@link Child#stdoutArrival}). A phase without a START
     * line (net-rx: its start is when the host began sending) gets start 0.
     */
    static List<Phase> parse(String stdout, IntToLongFunction arrival) throws IOException {
        List<Phase> out = new ArrayList<>();
        Matcher m = RESULT.matcher(stdout);
        while (m.find()) {
            String name = m.group(1);
            String endLine = "BENCH-END " + name + "\n";
            int end = stdout.lastIndexOf(endLine, m.start());
            if (end < 0) {
                throw new IOException("guest printed the result of " + name + " without a BENCH-END line");
            }
            String startLine = "BENCH-START " + name + "\n";
            int start = stdout.lastIndexOf(startLine, end);
            long t0 = start < 0 ? 0 : arrival.applyAsLong(start + startLine.length());
            long t1 = arrival.applyAsLong(end + 1);
            long lost = m.group(4) == null ? 0 : Long.parseLong(m.group(4));
            out.add(new Phase(name, t0, t1, Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), lost, m.group().trim()));
        }
        return out;
    }

    static Phase find(List<Phase> phases, String name) throws IOException {
        for (Phase p : phases) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw new IOException("the guest reported no " + name + " phase");
    }
}
