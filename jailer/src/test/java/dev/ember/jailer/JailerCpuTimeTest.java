package dev.ember.jailer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The jailer reads its CPU time (passed to the VMM as --parent-cpu-time-us, part of Firecracker's
 * process_startup_time_cpu_us) from /proc/self/stat itself: the same counters as the JDK's
 * ProcessHandle.Info, read in this JVM before and after.
 */
class JailerCpuTimeTest {
    @Test
    void cpuTimeIsTheProcessesUserAndSystemTimeAsTheJdkReadsIt() {
        long before = jdkCpuTimeUs();
        long ours = Main.cpuTimeUs();
        long after = jdkCpuTimeUs();
        assertTrue(before > 0, "this JVM has used CPU time: " + before);
        assertTrue(ours >= before && ours <= after, before + " <= " + ours + " <= " + after);
    }

    private static long jdkCpuTimeUs() {
        return ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos() / 1000;
    }
}
