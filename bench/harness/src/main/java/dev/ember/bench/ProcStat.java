package dev.ember.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * CPU time a process has used so far, from /proc. Two views: {@code /proc/PID/stat}
 * utime+stime+cutime+cstime (clock ticks, 10 ms resolution on this kernel, but including
 * threads that already exited and waited-for children such as a launcher script's helpers),
 * and the sum of {@code /proc/PID/task/TID/schedstat} run time over live threads (nanoseconds).
 */
public final class ProcStat {
    /** USER_HZ; Linux fixes it at 100 for user-visible interfaces on x86_64. */
    static final double TICK_MS = 10.0;

    private ProcStat() {}

    /** utime+stime+cutime+cstime of {@code pid} in milliseconds. */
    public static double cpuMillis(long pid) throws IOException {
        return cpuMillisFromStat(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
    }

    static double cpuMillisFromStat(String stat) {
        // The command name (field 2) is in parentheses and may contain spaces: parse after it.
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/PID/stat line: " + stat);
        }
        String[] f = stat.substring(close + 2).trim().split(" ");
        // f[0] is field 3 (state); utime is field 14 => f[11], stime f[12], cutime f[13], cstime f[14].
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
        return ticks * TICK_MS;
    }

    /** Sum of on-CPU time of the live threads of {@code pid}, in milliseconds (ns resolution). */
    public static double schedMillis(long pid) throws IOException {
        long ns = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : tasks) {
                try {
                    String s = Files.readString(t.resolve("schedstat")).trim();
                    ns += Long.parseLong(s.substring(0, s.indexOf(' ')));
                } catch (NoSuchFileException gone) {
                    // the thread exited between listing and reading
                }
            }
        }
        return ns / 1e6;
    }

    /** Number of threads of {@code pid}. */
    public static int threads(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("Threads:")) {
                return Integer.parseInt(line.substring(8).trim());
            }
        }
        throw new IOException("no Threads: line in /proc/" + pid + "/status");
    }
}
