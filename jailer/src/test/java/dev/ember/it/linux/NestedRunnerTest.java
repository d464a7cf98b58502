package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nested tier's runner on this host (no L1): {@link NestedRunnerFixture}'s tests through
 * {@link NestedRunner} in a child JVM with a 3-second limit per test, and the results file read
 * back as {@link NestedTierIT} reads it.
 */
class NestedRunnerTest {
    private static final String PREFIX = "[engine:junit-jupiter]/[class:" + NestedRunnerFixture.class.getName() + "]/[method:";

    @TempDir
    Path dir;

    @Test
    void everyOutcomeIsRecordedAndAHangGetsAReportAndOneMoreAttempt() throws Exception {
        Map<String, NestedResults.TestRecord> r = run(new NestedResults(dir.resolve("results.tsv")));

        assertEquals(NestedResults.Kind.PASSED, outcome(r, "a_passes"));
        assertEquals(NestedResults.Kind.FAILED, outcome(r, "b_fails"));
        assertTrue(r.get(id("b_fails")).outcome.message().contains("the fixture's failure"), r.get(id("b_fails")).outcome.message());
        assertEquals(NestedResults.Kind.SKIPPED, outcome(r, "c_aborts"));
        assertTrue(r.get(id("c_aborts")).outcome.message().contains("the fixture's assumption"));

        NestedResults.TestRecord once = r.get(id("d_hangsOnce"));
        assertEquals(NestedResults.Kind.PASSED, once.outcome.kind());
        assertEquals(2, once.attempts);
        assertEquals(1, once.hangs.size());
        String report = Files.readString(dir.resolve("hangs/d_hangsOnce__-attempt1.txt"), StandardCharsets.UTF_8);
        assertTrue(report.contains("-- pid ") && report.contains("sleep 600"), "the report lists the child the test waits on\n" + report);
        assertTrue(report.contains("wchan="), report);
        assertTrue(report.contains("NestedRunnerFixture.hangInChild"), "the abandoned test thread's stack is in the report\n" + report);

        NestedResults.TestRecord always = r.get(id("e_hangsAlways"));
        assertEquals(NestedResults.Kind.FAILED, always.outcome.kind());
        assertEquals(2, always.attempts);
        assertTrue(always.outcome.message().contains("hung on attempt 2"), always.outcome.message());
        assertTrue(Files.exists(dir.resolve("hangs/e_hangsAlways__-attempt2.txt")));

        NestedResults.TestRecord collateral = r.get(id("g_failsOnceAfterAHangInItsClass"));
        assertEquals(NestedResults.Kind.PASSED, collateral.outcome.kind(), "a failure after a hang in its class gets another attempt");
        assertEquals(2, collateral.attempts);
        assertTrue(collateral.hangs.get(0).message().contains("hung in the same class"), collateral.hangs.get(0).message());

        NestedResults.TestRecord fault = r.get(id("h_seesATripleFaultTwice"));
        assertEquals(NestedResults.Kind.PASSED, fault.outcome.kind(), "a guest's triple fault gets up to two more attempts");
        assertEquals(3, fault.attempts);
        assertEquals(2, fault.hangs.size());
        assertTrue(fault.hangs.get(0).message().contains("triple-faulted"), fault.hangs.get(0).message());

        NestedResults.TestRecord stalled = r.get(id("i_seesItsGuestStallOnce"));
        assertEquals(NestedResults.Kind.PASSED, stalled.outcome.kind(), "a guest that stopped making progress gets a second attempt");
        assertEquals(2, stalled.attempts);
        assertTrue(stalled.hangs.get(0).message().contains("stopped making progress"), stalled.hangs.get(0).message());
        NestedResults.TestRecord stalledAlways = r.get(id("j_seesItsGuestStallAlways"));
        assertEquals(NestedResults.Kind.FAILED, stalledAlways.outcome.kind());
        assertEquals(2, stalledAlways.attempts);
        assertTrue(stalledAlways.outcome.message().contains("ember never printed"), stalledAlways.outcome.message());
        assertFalse(NestedRunner.guestStalled(new AssertionError("ember never printed /x/ (exited 1)")), "a VMM that exited is no stall");

        NestedResults.TestRecord template = r.get(templateId());
        assertTrue(template != null && template.finished(), "the parameterized test has a result: " + r.keySet());
        assertEquals(NestedResults.Kind.PASSED, template.outcome.kind(), template.outcome.message());
        assertEquals(2, template.attempts, "the template ran again for its invocation that hung");
        assertTrue(template.hangs.get(0).message().contains("hung on attempt 1"), template.hangs.get(0).message());
        NestedResults.TestRecord sync = r.get(templateId() + "/[test-template-invocation:#1]");
        NestedResults.TestRecord async = r.get(templateId() + "/[test-template-invocation:#2]");
        assertTrue(sync != null && async != null, "each invocation has its own record: " + r.keySet());
        assertEquals(NestedResults.Kind.PASSED, sync.outcome.kind());
        assertEquals(NestedResults.Kind.PASSED, async.outcome.kind());
        assertEquals(2, async.attempts);
        assertEquals(1, async.hangs.size());

        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            assertFalse(all.anyMatch(p -> p.info().commandLine().orElse("").equals("/usr/bin/sleep 600")
                    || p.info().arguments().map(a -> List.of(a).equals(List.of("600"))).orElse(false)
                            && p.info().command().orElse("").endsWith("/sleep")),
                    "the hung tests' children were killed");
        }
    }

    /** An L1 that froze: what finished is kept, the test it was running gets its second attempt, the rest run once. */
    @Test
    void aSecondBootCarriesOnFromWhatTheFirstReported() throws Exception {
        NestedResults results = new NestedResults(dir.resolve("results.tsv"));
        results.append(NestedResults.Kind.STARTED, id("f_countsItsRuns"), "", "");
        results.append(NestedResults.Kind.PASSED, id("f_countsItsRuns"), "", "");
        results.append(NestedResults.Kind.STARTED, id("a_passes"), "", "");
        Files.createFile(dir.resolve("hung-once"));
        Map<String, NestedResults.TestRecord> r = run(results);

        assertFalse(Files.exists(dir.resolve("f-runs")), "a test the first boot finished is not run again");
        assertEquals(NestedResults.Kind.PASSED, outcome(r, "f_countsItsRuns"));
        assertEquals(2, r.get(id("a_passes")).attempts, "the interrupted test ran once more");
        assertEquals(NestedResults.Kind.PASSED, outcome(r, "a_passes"));
        assertEquals(1, r.get(id("d_hangsOnce")).attempts);
    }

    /** The class's shared guest triple-faulted in its @BeforeAll (a6e6c29's CI lost 7 tests so): its tests run again. */
    @Test
    void aClassWhoseSharedGuestTripleFaultedWhileItSetUpRunsAgain() throws Exception {
        for (NestedResults.TestRecord t : runSetUpFixture(NestedRunnerSetUpFixture.FAULTS, 1)) {
            assertEquals(NestedResults.Kind.PASSED, t.outcome.kind(), t.uniqueId + ": " + t.outcome.message());
            assertEquals(1, t.hangs.size(), t.uniqueId);
            assertTrue(t.hangs.get(0).message().contains("triple-faulted") && t.hangs.get(0).message().contains("set up"),
                    t.hangs.get(0).message());
        }
        assertEquals(2, setUps(), "the class set up once more, not once per test");
    }

    /** A set-up that triple-faults every time is retried a bounded number of times, then its tests fail with the reason. */
    @Test
    void aClassWhoseSetUpAlwaysTripleFaultsFailsAfterBoundedAttempts() throws Exception {
        for (NestedResults.TestRecord t : runSetUpFixture(NestedRunnerSetUpFixture.FAULTS, 1000)) {
            assertEquals(NestedResults.Kind.FAILED, t.outcome.kind(), t.uniqueId);
            assertTrue(t.outcome.message().contains("KVM_EXIT_SHUTDOWN"), t.outcome.message());
        }
        assertTrue(setUps() >= 2 && setUps() <= 3, "set up " + setUps() + " times");
    }

    /** The class's shared guest went quiet while it set up (the stop CI of f4ca03b lost LinuxVsockIT's 7 tests so): once more. */
    @Test
    void aClassWhoseSharedGuestStalledWhileItSetUpRunsAgainOnce() throws Exception {
        for (NestedResults.TestRecord t : runSetUpFixture(NestedRunnerSetUpFixture.STALLS, 1)) {
            assertEquals(NestedResults.Kind.PASSED, t.outcome.kind(), t.uniqueId + ": " + t.outcome.message());
            assertEquals(2, t.attempts, t.uniqueId);
            assertTrue(t.hangs.get(0).message().contains("stopped making progress") && t.hangs.get(0).message().contains("set up"),
                    t.hangs.get(0).message());
        }
        assertEquals(2, setUps(), "the class set up once more, not once per test");
    }

    /** A set-up whose guest stalls every time gets two attempts in all, then its tests fail with the wait's message. */
    @Test
    void aClassWhoseSetUpAlwaysStallsFailsOnItsSecondAttempt() throws Exception {
        for (NestedResults.TestRecord t : runSetUpFixture(NestedRunnerSetUpFixture.STALLS, 1000)) {
            assertEquals(NestedResults.Kind.FAILED, t.outcome.kind(), t.uniqueId);
            assertEquals(2, t.attempts, t.uniqueId);
            assertTrue(t.outcome.message().contains("ember never printed"), t.outcome.message());
        }
        assertEquals(2, setUps());
    }

    /**
     * Runs {@link NestedRunnerSetUpFixture} with its set-up failing {@code times} times the way
     * {@code property} names; the records of its two tests, each with a result.
     */
    private List<NestedResults.TestRecord> runSetUpFixture(String property, int times) throws Exception {
        Map<String, NestedResults.TestRecord> r = run(new NestedResults(dir.resolve("results.tsv")),
                NestedRunnerSetUpFixture.class, "-D" + property + "=" + times);
        List<NestedResults.TestRecord> tests = new ArrayList<>();
        for (String method : List.of("a_usesTheSharedGuest", "b_usesItToo")) {
            NestedResults.TestRecord t = r.get(setUpId(method));
            assertTrue(t != null && t.finished(), method + " has a result: " + r.keySet());
            tests.add(t);
        }
        return tests;
    }

    private int setUps() throws IOException {
        return Files.readAllLines(dir.resolve("set-up-runs")).size();
    }

    @Test
    void progressLinesNameTheClassAndMethod() {
        assertEquals("NestedRunnerFixture.a_passes()", NestedTierIT.shortName(id("a_passes")));
        assertEquals("NestedRunnerFixture.k_isParameterized(java.lang.String)[2]",
                NestedTierIT.shortName(templateId() + "/[test-template-invocation:#2]"));
        assertTrue(NestedTierIT.isTemplate(templateId()));
        assertFalse(NestedTierIT.isTemplate(id("a_passes")));
        assertEquals("[engine:x]", NestedTierIT.shortName("[engine:x]"));
    }

    private Map<String, NestedResults.TestRecord> run(NestedResults results) throws Exception {
        return run(results, NestedRunnerFixture.class, "-Dember.nestedRunnerFixture.unused=true");
    }

    private Map<String, NestedResults.TestRecord> run(NestedResults results, Class<?> fixture, String property) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path classes = Path.of(NestedRunnerFixture.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Process p = new ProcessBuilder(java.toString(), "-Dember.nestedTestLimit=3 s", "-D" + NestedRunnerFixture.ENABLED + "=true",
                "-Dember.nestedRunnerFixture.dir=" + dir, property, "-cp", System.getProperty("java.class.path"),
                NestedRunner.class.getName(), results.file().toString(), dir.resolve("hangs").toString(),
                "^.*" + fixture.getSimpleName() + "$", classes.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("runner.log").toFile()).start();
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), "the runner ended");
        assertEquals(0, p.exitValue(), Files.readString(dir.resolve("runner.log")));
        return results.read();
    }

    private static NestedResults.Kind outcome(Map<String, NestedResults.TestRecord> r, String method) {
        NestedResults.TestRecord t = r.get(id(method));
        assertTrue(t != null && t.finished(), method + " has a result: " + r.keySet());
        return t.outcome.kind();
    }

    private static String setUpId(String method) {
        return "[engine:junit-jupiter]/[class:" + NestedRunnerSetUpFixture.class.getName() + "]/[method:" + method + "()]";
    }

    private static String templateId() {
        return "[engine:junit-jupiter]/[class:" + NestedRunnerFixture.class.getName() + "]/[test-template:k_isParameterized(java.lang.String)]";
    }

    private static String id(String method) {
        return PREFIX + method + "()]";
    }
}
