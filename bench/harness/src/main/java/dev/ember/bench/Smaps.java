package dev.ember.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A process's memory as the kernel accounts it: {@code /proc/PID/smaps_rollup} totals and the
 * per-mapping entries of {@code /proc/PID/smaps}. All sizes are in KiB, as the kernel prints them.
 */
public final class Smaps {
    /** One mapping of /proc/PID/smaps: its header and its counters (Size, Rss, Pss, ...). */
    public record Mapping(long start, long end, String perms, String path, Map<String, Long> kb) {
        public long get(String key) {
            Long v = kb.get(key);
            return v == null ? 0 : v;
        }

        public long sizeKb() {
            return get("Size");
        }

        public boolean anonymous() {
            return path.isEmpty();
        }
    }

    private Smaps() {}

    /** Totals from smaps_rollup: Rss, Pss, Pss_Anon, Pss_File, Shared_Clean, Private_Dirty, ... */
    public static Map<String, Long> rollup(long pid) throws IOException {
        return parseRollup(Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup")));
    }

    static Map<String, Long> parseRollup(List<String> lines) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.endsWith(" kB")) {
                out.put(line.substring(0, colon), Long.parseLong(line.substring(colon + 1, line.length() - 3).trim()));
            }
        }
        return out;
    }

    public static List<Mapping> mappings(long pid) throws IOException {
        return parse(Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps")));
    }

    static List<Mapping> parse(List<String> lines) {
        List<Mapping> out = new ArrayList<>();
        long start = 0, end = 0;
        String perms = null, path = null;
        Map<String, Long> kb = null;
        for (String line : lines) {
            if (isHeader(line)) {
                if (perms != null) {
                    out.add(new Mapping(start, end, perms, path, kb));
                }
                String[] f = line.split("\\s+", 6);
                int dash = f[0].indexOf('-');
                start = Long.parseUnsignedLong(f[0].substring(0, dash), 16);
                end = Long.parseUnsignedLong(f[0].substring(dash + 1), 16);
                perms = f[1];
                path = f.length > 5 ? f[5].trim() : "";
                kb = new LinkedHashMap<>();
            } else if (kb != null && line.endsWith(" kB")) {
                int colon = line.indexOf(':');
                kb.put(line.substring(0, colon), Long.parseLong(line.substring(colon + 1, line.length() - 3).trim()));
            }
        }
        if (perms != null) {
            out.add(new Mapping(start, end, perms, path, kb));
        }
        return out;
    }

    /** A header is "start-end perms offset dev inode [path]"; counters are "Name:   N kB". */
    private static boolean isHeader(String line) {
        int dash = line.indexOf('-');
        int space = line.indexOf(' ');
        if (dash <= 0 || space < dash) {
            return false;
        }
        for (int i = 0; i < space; i++) {
            char c = line.charAt(i);
            if (i != dash && Character.digit(c, 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * The guest-RAM mapping: anonymous, read-write, of exactly {@code guestKb} or up to
     * {@code slackKb} more (QEMU rounds RAM blocks up for alignment). The largest such mapping
     * wins; null if none matches.
     */
    public static Mapping findGuestRam(List<Mapping> maps, long guestKb, long slackKb) {
        Mapping best = null;
        for (Mapping m : maps) {
            long size = m.sizeKb();
            if (m.anonymous() && m.perms().startsWith("rw") && size >= guestKb && size <= guestKb + slackKb) {
                if (best == null || m.get("Rss") > best.get("Rss")) {
                    best = m;
                }
            }
        }
        return best;
    }

    /**
     * Pss (KiB) by kind of mapping, to see where a VMM's memory goes. Files: the CDS/AOT archive by
     * region (its read-write part is what each process dirties; the read-only part is shared),
     * libjvm.so, other files. Anonymous memory by shape (no NMT needed, so QEMU is read the same
     * way): the code cache (executable), the Java heap (below 4 GiB, where the JVM puts a small
     * compressed-oops heap), 64 MiB-aligned 64 MiB reservations (glibc malloc arenas and the JVM's
     * metaspace nodes: the same shape), the brk heap, and the rest (thread stacks, class space,
     * GC and JIT structures). The guest mapping is left out.
     */
    public static Map<String, Long> pssByKind(List<Mapping> maps, Mapping guest) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < maps.size(); i++) {
            Mapping m = maps.get(i);
            if (m == guest) {
                continue;
            }
            Mapping next = i + 1 < maps.size() ? maps.get(i + 1) : null;
            out.merge(kind(m, next), m.get("Pss"), Long::sum);
        }
        return out;
    }

    static final long RESERVATION_64M = 64L << 20;

    static String kind(Mapping m, Mapping next) {
        String p = m.path();
        if (p.endsWith(".jsa") || p.endsWith(".aot")) {
            return m.perms().startsWith("rw") ? "aot_archive_rw" : m.perms().contains("x") ? "aot_archive_code" : "aot_archive_ro";
        }
        if (p.endsWith("/libjvm.so")) {
            return "libjvm";
        }
        if (p.equals("[heap]")) {
            return "malloc_brk";
        }
        if (p.startsWith("[stack")) {
            return "main_stack";
        }
        if (p.startsWith("[")) {
            return "kernel_special";
        }
        if (!p.isEmpty()) {
            return "other_files";
        }
        if (m.perms().contains("x")) {
            return "code_cache";
        }
        if (m.end() <= 0x1_0000_0000L) {
            return "java_heap";
        }
        boolean reservedAfter = next != null && next.anonymous() && next.start() == m.end() && next.perms().startsWith("---");
        if (m.start() % RESERVATION_64M == 0 && reservedAfter && next.end() - m.start() == RESERVATION_64M) {
            return "arenas_metaspace_64m";
        }
        return "anon_other";
    }
}
