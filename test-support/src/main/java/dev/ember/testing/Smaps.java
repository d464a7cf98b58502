package dev.ember.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A process's memory mappings as /proc/PID/smaps reports them, for tests about how memory is backed. */
public final class Smaps {
    /** One mapping: its address range and its "Name: N kB" fields in KiB. */
    public record Mapping(long start, long end, Map<String, Long> kib) {
        public long size() {
            return end - start;
        }

        public long kib(String field) {
            return kib.getOrDefault(field, 0L);
        }
    }

    private Smaps() {}

    public static List<Mapping> of(long pid) throws IOException {
        return parse(Files.readAllLines(Path.of("/proc/" + pid + "/smaps")));
    }

    public static List<Mapping> ofSelf() throws IOException {
        return parse(Files.readAllLines(Path.of("/proc/self/smaps")));
    }

    /** The mapping that starts at {@code start}, or an AssertionError listing none. */
    public static Mapping at(List<Mapping> mappings, long start) {
        for (Mapping m : mappings) {
            if (m.start() == start) {
                return m;
            }
        }
        throw new AssertionError("no mapping starts at 0x" + Long.toHexString(start));
    }

    /** Every mapping of exactly {@code size} bytes (guest RAM is one mapping per region). */
    public static List<Mapping> sized(List<Mapping> mappings, long size) {
        List<Mapping> out = new ArrayList<>();
        for (Mapping m : mappings) {
            if (m.size() == size) {
                out.add(m);
            }
        }
        return out;
    }

    private static List<Mapping> parse(List<String> lines) {
        List<Mapping> out = new ArrayList<>();
        long start = -1, end = -1;
        Map<String, Long> fields = null;
        for (String line : lines) {
            int colon = line.indexOf(':');
            boolean header = !line.isEmpty() && Character.digit(line.charAt(0), 16) >= 0 && line.indexOf('-') > 0
                    && line.indexOf('-') < line.indexOf(' ') && (colon < 0 || colon > line.indexOf(' '));
            if (header) {
                if (fields != null) {
                    out.add(new Mapping(start, end, fields));
                }
                String range = line.substring(0, line.indexOf(' '));
                start = Long.parseUnsignedLong(range.substring(0, range.indexOf('-')), 16);
                end = Long.parseUnsignedLong(range.substring(range.indexOf('-') + 1), 16);
                fields = new HashMap<>();
            } else if (fields != null && line.endsWith(" kB") && colon > 0) {
                fields.put(line.substring(0, colon), Long.parseLong(line.substring(colon + 1, line.length() - 3).trim()));
            }
        }
        if (fields != null) {
            out.add(new Mapping(start, end, fields));
        }
        return out;
    }
}
