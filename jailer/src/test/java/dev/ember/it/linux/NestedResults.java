package dev.ember.it.linux;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The nested tier's results file, written in L1 by {@link NestedRunner} one line per event and read
 * on the host by {@link NestedTierIT}. A line per event (not a report at the end) so that whatever
 * finished before an L1 froze is kept, and a second L1 can carry on from there. Fields are
 * tab-separated; free text is Base64 so that no message can break a line.
 */
final class NestedResults {
    enum Kind {
        /** A test began; counted as an attempt even if L1 never reports its end. */
        STARTED,
        PASSED,
        FAILED,
        SKIPPED,
        /** Hit the per-test time limit on its first attempt: to be run once more, with a hang report kept. */
        HUNG;

        boolean isFinal() {
            return this == PASSED || this == FAILED || this == SKIPPED;
        }
    }

    /** One line: what happened to the test {@code uniqueId}; {@code detail} is a stack trace or a report's path. */
    record Event(Kind kind, String uniqueId, String message, String detail) {}

    /** Everything the file says about one test, in the order it was written. */
    static final class TestRecord {
        final String uniqueId;
        int attempts;
        Event outcome;
        final List<Event> hangs = new ArrayList<>();

        TestRecord(String uniqueId) {
            this.uniqueId = uniqueId;
        }

        boolean finished() {
            return outcome != null;
        }
    }

    private final Path file;

    NestedResults(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** Appends one event and forces it to the file (the share is 9p: the host sees it at once). */
    synchronized void append(Kind kind, String uniqueId, String message, String detail) throws IOException {
        String line = kind + "\t" + b64(uniqueId) + "\t" + b64(message) + "\t" + b64(detail) + "\n";
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
    }

    /** Every test the file names, in the order of their first event. */
    Map<String, TestRecord> read() throws IOException {
        Map<String, TestRecord> tests = new LinkedHashMap<>();
        for (Event e : events()) {
            TestRecord t = tests.computeIfAbsent(e.uniqueId(), TestRecord::new);
            switch (e.kind()) {
                case STARTED -> t.attempts++;
                case HUNG -> t.hangs.add(e);
                default -> t.outcome = e;
            }
        }
        return tests;
    }

    /** The events in the order they were written. A torn last line is left out. */
    List<Event> events() throws IOException {
        List<Event> events = new ArrayList<>();
        if (!Files.exists(file)) {
            return events;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String[] f = line.split("\t", -1);
            if (f.length != 4) {
                continue;
            }
            try {
                events.add(new Event(Kind.valueOf(f[0]), unb64(f[1]), unb64(f[2]), unb64(f[3])));
            } catch (IllegalArgumentException e) {
                // not a line of ours
            }
        }
        return events;
    }

    /** How many events the file holds: the host watches it grow to see that L1 makes progress. */
    long size() {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString((s == null ? "" : s).getBytes(StandardCharsets.UTF_8));
    }

    private static String unb64(String s) {
        try {
            return new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return "(undecodable: " + s + ")";
        }
    }
}
