package dev.ember.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The jailer (for the VMM's --parent-cpu-time-us) and the VMM (Firecracker's
 * process_startup_time_cpu_us) read their CPU time from /proc/self/stat themselves: the same
 * counters as the JDK's ProcessHandle.Info, read in this JVM before and after.
 */
class ProcessCpuTimeTest {
    @Test
    void isTheProcesssUserAndSystemTimeAsTheJdkReadsIt() {
        long before = jdkCpuTimeUs();
        long ours = ProcessCpuTime.micros();
        long after = jdkCpuTimeUs();
        assertTrue(before > 0, "this JVM has used CPU time: " + before);
        assertTrue(ours >= before && ours <= after, before + " <= " + ours + " <= " + after);
    }

    @Test
    void readsTheTimesAfterACommandNameWithSpacesAndParentheses() {
        // pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime ...
        String stat = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 37 5 0 0 20 0 3 0\n";
        assertEquals((37 + 5) * 10_000L, ProcessCpuTime.micros(stat));
    }

    private static long jdkCpuTimeUs() {
        return ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos() / 1000;
    }
}
