package dev.ember.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.testing.ChildJvm;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Compiled filters checked by the kernel itself: each case installs a filter in a child JVM
 * ({@link SeccompProbe}) and observes which system calls run, fail with the errno, or kill the
 * process with SIGSYS.
 */
class SeccompKernelTest {
    private static final int SIGSYS = 31;
    private static final int EPERM = 1, EACCES = 13, ENOSYS = 38;
    private static final long G = SeccompProbe.GETPPID;

    /** Runs the probe; returns call spec to outcome ("ok" or "errno N"). */
    private static Map<String, String> probe(String filter, List<String> calls, ChildJvm.Result[] raw) throws Exception {
        List<String> args = new ArrayList<>();
        args.add(filter);
        args.addAll(calls);
        ChildJvm.Result r = ChildJvm.run(SeccompProbe.class, args);
        raw[0] = r;
        Map<String, String> outcomes = new LinkedHashMap<>();
        for (String line : r.stdout().split("\n")) {
            String[] f = line.split(" ");
            if (f.length == 3 && (f[1].equals("ok") || f[1].equals("errno"))) {
                outcomes.put(f[0], f[1].equals("ok") ? "ok" : "errno " + f[2]);
            }
        }
        return outcomes;
    }

    private static String call(long nr, long... a) {
        StringBuilder sb = new StringBuilder(Long.toUnsignedString(nr));
        for (long v : a) {
            sb.append(',').append(Long.toUnsignedString(v));
        }
        return sb.toString();
    }

    @Test
    void matchingCallFailsWithTheErrnoAndOthersRun() throws Exception {
        ChildJvm.Result[] r = new ChildJvm.Result[1];
        Map<String, String> o = probe("errno-getppid", List.of(call(G), call(39 /* getpid */)), r);
        assertEquals(0, r[0].exitCode(), r[0].describe());
        assertEquals("errno " + EPERM, o.get(call(G)), r[0].describe());
        assertEquals("ok", o.get(call(39)), r[0].describe());
    }

    @Test
    void filterReachesThreadsStartedBeforeItWasInstalled() throws Exception {
        ChildJvm.Result[] r = new ChildJvm.Result[1];
        probe("errno-getppid", List.of("early:" + call(G), "status"), r);
        assertEquals(0, r[0].exitCode(), r[0].describe());
        assertTrue(r[0].stdout().contains("early:" + call(G) + " errno " + EPERM), r[0].describe());
        // Every thread the JVM runs (GC, JIT, ...) reports filter mode with exactly one filter.
        List<String> status = r[0].stdout().lines().filter(l -> l.startsWith("task ")).toList();
        long tasks = status.stream().filter(l -> l.contains(" Seccomp: ")).count();
        assertTrue(tasks > 5, r[0].describe());
        assertEquals(tasks, status.stream().filter(l -> l.endsWith(" Seccomp: 2")).count(), r[0].describe());
        assertEquals(tasks, status.stream().filter(l -> l.endsWith(" Seccomp_filters: 1")).count(), r[0].describe());
        assertEquals(tasks, status.stream().filter(l -> l.endsWith(" NoNewPrivs: 1")).count(), r[0].describe());
    }

    @Test
    void killProcessEndsTheWholeProcessWithSigsys() throws Exception {
        ChildJvm.Result[] r = new ChildJvm.Result[1];
        Map<String, String> o = probe("kill-getppid", List.of(call(39), call(G), call(39, 1)), r);
        assertEquals(128 + SIGSYS, r[0].exitCode(), r[0].describe());
        assertEquals("ok", o.get(call(39)), r[0].describe());
        assertFalse(o.containsKey(call(39, 1)), "the process ran on after the killing call\n" + r[0].describe());
    }

    @Test
    void trapSendsSigsysWhichTheJvmDoesNotHandle() throws Exception {
        ChildJvm.Result[] r = new ChildJvm.Result[1];
        probe("trap-getppid", List.of(call(G), call(39)), r);
        assertEquals(128 + SIGSYS, r[0].exitCode(), r[0].describe());
        assertFalse(r[0].stdout().contains("done"), r[0].describe());
    }

    @Test
    void rulesMayCarryTheirOwnActionAndClone3FallsBackToClone() throws Exception {
        ChildJvm.Result[] r = new ChildJvm.Result[1];
        Map<String, String> o = probe("per-rule-actions", List.of(call(G, 1), call(G, 2), call(435), "thread:" + call(39)), r);
        assertEquals(0, r[0].exitCode(), r[0].describe());
        assertEquals("errno " + EACCES, o.get(call(G, 1)), r[0].describe());
        assertEquals("errno 5", o.get(call(G, 2)), r[0].describe());
        assertEquals("errno " + ENOSYS, o.get(call(435)), r[0].describe());
        // glibc's pthread_create got ENOSYS from clone3 and made the thread with clone instead.
        assertTrue(r[0].stdout().contains("thread:" + call(39) + " ok"), r[0].describe());
    }

    @Test
    void logLetsTheCallRun() throws Exception {
        ChildJvm.Result[] r = new ChildJvm.Result[1];
        Map<String, String> o = probe("log-getppid", List.of(call(G)), r);
        assertEquals(0, r[0].exitCode(), r[0].describe());
        assertEquals("ok", o.get(call(G)), r[0].describe());
    }

    @Test
    void x32SystemCallsKillTheProcess() throws Exception {
        ChildJvm.Result[] r = new ChildJvm.Result[1];
        Map<String, String> o = probe("allow-nothing-extra", List.of(call(G), call(BpfCompiler.X32_SYSCALL_BIT | G)), r);
        assertEquals(128 + SIGSYS, r[0].exitCode(), r[0].describe());
        assertEquals("ok", o.get(call(G)), r[0].describe());
    }

    @Test
    void argumentConditionsCompareBothHalvesUnsigned() throws Exception {
        Map<String, String> expected = new LinkedHashMap<>();
        String deny = "errno " + EACCES;
        expected.put(call(G), "ok");
        // arg0 qword == 0x1_0000_0005
        expected.put(call(G, 0x1_0000_0005L), deny);
        expected.put(call(G, 5), "ok");
        expected.put(call(G, 0x2_0000_0005L), "ok");
        // arg1 dword == 7: the upper half is not looked at
        expected.put(call(G, 0, 7), deny);
        expected.put(call(G, 0, 0x5_0000_0007L), deny);
        expected.put(call(G, 0, 8), "ok");
        // arg2 qword > 0x2_0000_0000
        expected.put(call(G, 0, 0, 0x2_0000_0001L), deny);
        expected.put(call(G, 0, 0, 0x3_0000_0000L), deny);
        expected.put(call(G, 0, 0, -1L), deny);
        expected.put(call(G, 0, 0, 0x2_0000_0000L), "ok");
        expected.put(call(G, 0, 0, 0x1_ffff_ffffL), "ok");
        // arg3 in [100, 2^32)
        expected.put(call(G, 0, 0, 0, 100), deny);
        expected.put(call(G, 0, 0, 0, 0xffff_ffffL), deny);
        expected.put(call(G, 0, 0, 0, 99), "ok");
        expected.put(call(G, 0, 0, 0, 0x1_0000_0000L), "ok");
        expected.put(call(G, 0, 0, 0, 0x1_0000_0064L), "ok");
        // arg4 & 0xff000000000000ff == 0x1200000000000034
        expected.put(call(G, 0, 0, 0, 0, 0x1234_5678_90ab_cd34L), deny);
        expected.put(call(G, 0, 0, 0, 0, 0x1200_0000_0000_0034L), deny);
        expected.put(call(G, 0, 0, 0, 0, 0x1300_0000_0000_0034L), "ok");
        expected.put(call(G, 0, 0, 0, 0, 0x1200_0000_0000_0035L), "ok");
        // arg5 in (0x3_0000_0000, 0x3_0000_0010], != 0x3_0000_0001
        expected.put(call(G, 0, 0, 0, 0, 0, 0x3_0000_0005L), deny);
        expected.put(call(G, 0, 0, 0, 0, 0, 0x3_0000_0010L), deny);
        expected.put(call(G, 0, 0, 0, 0, 0, 0x3_0000_0001L), "ok");
        expected.put(call(G, 0, 0, 0, 0, 0, 0x3_0000_0000L), "ok");
        expected.put(call(G, 0, 0, 0, 0, 0, 0x3_0000_0011L), "ok");
        expected.put(call(G, 0, 0, 0, 0, 0, 0x4_0000_0005L), "ok");
        expected.put(call(G, 0, 0, 0, 0, 0, 0x2_0000_0005L), "ok");

        ChildJvm.Result[] r = new ChildJvm.Result[1];
        Map<String, String> o = probe("conditions", new ArrayList<>(expected.keySet()), r);
        assertEquals(0, r[0].exitCode(), r[0].describe());
        assertEquals(expected, o, r[0].describe());
    }

    @Test
    void binarySearchFindsEveryListedNumberAndNoOther() throws Exception {
        List<String> calls = new ArrayList<>();
        Map<String, String> expected = new LinkedHashMap<>();
        for (int nr = 490; nr < 1010; nr++) {
            String c = call(nr);
            calls.add(c);
            boolean listed = nr >= 500 && nr < 1000 && nr % 2 == 0;
            expected.put(c, listed ? "errno 77" : "errno " + ENOSYS);
        }
        ChildJvm.Result[] r = new ChildJvm.Result[1];
        Map<String, String> o = probe("many", calls, r);
        assertEquals(0, r[0].exitCode(), r[0].describe());
        assertEquals(expected, o, r[0].describe());
        // 250 calls with long jumps across the search tree must still fit and be forward-only.
        BpfProgram p = BpfCompiler.compile(SeccompProbe.filter("many"));
        assertTrue(p.length() > 255, "the program should be long enough to need ja trampolines: " + p.length());
    }
}
