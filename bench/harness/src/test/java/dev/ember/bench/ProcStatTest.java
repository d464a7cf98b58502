package dev.ember.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProcStatTest {
    @Test
    void parsesTimesAfterACommandNameWithSpacesAndParentheses() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
        String line = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194304 100 0 0 0 7 3 20 10 20 0 1 0 5 0 0";
        assertEquals((7 + 3 + 20 + 10) * 10.0, ProcStat.cpuMillisFromStat(line));
    }

    @Test
    void thisProcessHasUsedCpuAndHasThreads() throws Exception {
        long pid = ProcessHandle.current().pid();
        long spin = 0;
        long end = System.nanoTime() + 50_000_000;
        while (System.nanoTime() < end) {
            spin++;
        }
        assertTrue(spin > 0);
        assertTrue(ProcStat.schedMillis(pid) >= 40, "schedstat run time covers the 50 ms spin");
        assertTrue(ProcStat.cpuMillis(pid) > 0);
        assertTrue(ProcStat.threads(pid) >= 2);
    }
}
