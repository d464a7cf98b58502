package dev.ember.sys;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * This process's CPU time (user + system, all threads, in the kernel's clock ticks of 10 ms) from
 * {@code /proc/self/stat}: what {@code ProcessHandle.current().info().totalCpuDuration()} returns,
 * without its cost at start-up — {@code ProcessHandle}'s class set-up builds the process-reaper
 * pool, and {@code info()} also reads the command line and looks the user up through NSS.
 */
public final class ProcessCpuTime {
    /** USER_HZ, the unit of /proc's tick counts: 100 on every Linux architecture Ember runs on. */
    private static final long MICROS_PER_TICK = 10_000;

    private ProcessCpuTime() {}

    /** Microseconds of CPU this process has used, or 0 when /proc cannot be read (a jail has none). */
    public static long micros() {
        try (FileInputStream in = new FileInputStream("/proc/self/stat")) {
            String stat = new String(in.readNBytes(4096), StandardCharsets.US_ASCII);
            return micros(stat);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** From a /proc/PID/stat line: utime and stime are its 14th and 15th fields; comm may hold spaces. */
    static long micros(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * MICROS_PER_TICK;
    }
}
