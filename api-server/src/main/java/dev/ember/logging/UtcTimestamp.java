package dev.ember.logging;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Firecracker's log timestamp, {@code yyyy-MM-ddTHH:mm:ss.nnnnnnnnn} in UTC, written with integer
 * arithmetic. The VMM logs its first line while it starts, and {@code DateTimeFormatter}'s first
 * use there (its pattern parsed, ~30 java.time classes set up, all interpreted) cost the start
 * several milliseconds on {@code main}; this needs no class beyond {@link StringBuilder}. Years
 * outside 1-9999, which no clock here reads, go through the JDK's formatter, so every instant
 * prints as {@code DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS")} prints it.
 */
final class UtcTimestamp {
    private static final long SECONDS_PER_DAY = 86_400;
    /** Days from 0000-03-01 (the start of the computation's year, so that a leap day ends it) to 1970-01-01. */
    private static final long DAYS_0000_03_01_TO_EPOCH = 719_468;
    private static final long DAYS_PER_400_YEARS = 146_097;

    private UtcTimestamp() {}

    static void append(StringBuilder sb, Instant t) {
        long seconds = t.getEpochSecond();
        long days = Math.floorDiv(seconds, SECONDS_PER_DAY);
        long secondOfDay = Math.floorMod(seconds, SECONDS_PER_DAY);
        // The civil date of a day count: 400-year cycles of equal length, years counted from March.
        long shifted = days + DAYS_0000_03_01_TO_EPOCH;
        long cycle = Math.floorDiv(shifted, DAYS_PER_400_YEARS);
        long dayOfCycle = shifted - cycle * DAYS_PER_400_YEARS;                                  // 0..146096
        long yearOfCycle = (dayOfCycle - dayOfCycle / 1460 + dayOfCycle / 36524 - dayOfCycle / 146096) / 365;
        long dayOfYear = dayOfCycle - (365 * yearOfCycle + yearOfCycle / 4 - yearOfCycle / 100); // from March 1st
        long monthFromMarch = (5 * dayOfYear + 2) / 153;                                          // 0..11
        long day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1;
        long month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
        long year = yearOfCycle + cycle * 400 + (month <= 2 ? 1 : 0);
        if (year < 1 || year > 9999) {
            sb.append(Rare.FORMAT.format(t));
            return;
        }
        pad(sb, year, 4).append('-');
        pad(sb, month, 2).append('-');
        pad(sb, day, 2).append('T');
        pad(sb, secondOfDay / 3600, 2).append(':');
        pad(sb, secondOfDay / 60 % 60, 2).append(':');
        pad(sb, secondOfDay % 60, 2).append('.');
        pad(sb, t.getNano(), 9);
    }

    private static StringBuilder pad(StringBuilder sb, long value, int width) {
        for (long limit = 10, digits = 1; digits < width; digits++, limit *= 10) {
            if (value < limit) {
                sb.append('0');
            }
        }
        return sb.append(value);
    }

    /** The JDK's formatter, set up only for a year this class does not write. */
    private static final class Rare {
        static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS").withZone(ZoneOffset.UTC);
    }
}
