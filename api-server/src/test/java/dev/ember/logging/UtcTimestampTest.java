package dev.ember.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class UtcTimestampTest {
    private static final DateTimeFormatter JDK = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS").withZone(ZoneOffset.UTC);

    private static String ours(Instant t) {
        StringBuilder sb = new StringBuilder();
        UtcTimestamp.append(sb, t);
        return sb.toString();
    }

    @Test
    void writesFirecrackersTimestamp() {
        assertEquals("2026-11-27T10:56:17.123456789", ours(Instant.parse("2026-11-27T10:56:17.123456789Z")));
        assertEquals("1970-01-01T00:00:00.000000000", ours(Instant.EPOCH));
        assertEquals("0001-01-01T00:00:00.000000001", ours(Instant.parse("0001-01-01T00:00:00.000000001Z")));
    }

    @Test
    void agreesWithTheJdksFormatterAroundEveryCalendarEdge() {
        String[] edges = {"1969-12-31T23:59:59.999999999Z", "2000-02-28T23:59:59Z", "2000-02-29T00:00:00Z", "2000-03-01T00:00:00Z",
            "2100-02-28T12:00:00Z", "2100-03-01T00:00:00Z", "1900-02-28T00:00:00Z", "1600-02-29T00:00:00Z",
            "2024-12-31T23:59:59.5Z", "2025-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "0004-02-29T00:00:00Z"};
        for (String e : edges) {
            Instant t = Instant.parse(e);
            for (long d = -2; d <= 2; d++) {
                Instant u = t.plusSeconds(d * 86_400 + d);
                assertEquals(JDK.format(u), ours(u), u.toString());
            }
        }
    }

    @Test
    void agreesWithTheJdksFormatterOnRandomInstantsOfEveryYear() {
        SplittableRandom r = new SplittableRandom(7);
        long first = Instant.parse("0001-01-01T00:00:00Z").getEpochSecond();
        long last = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
        for (int i = 0; i < 200_000; i++) {
            Instant t = Instant.ofEpochSecond(r.nextLong(first, last + 1), r.nextInt(1_000_000_000));
            assertEquals(JDK.format(t), ours(t), t.toString());
        }
    }

    @Test
    void yearsItDoesNotWriteItselfComeOutAsTheJdkWritesThem() {
        for (String e : new String[] {"+10000-01-01T00:00:00Z", "0000-12-31T23:59:59Z", "-0001-06-01T00:00:00Z"}) {
            Instant t = Instant.parse(e);
            assertEquals(JDK.format(t), ours(t), e);
        }
    }
}
