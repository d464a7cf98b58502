package dev.ember.it.linux;

import static org.junit.platform.engine.discovery.ClassNameFilter.includeClassNamePatterns;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClasspathRoots;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectUniqueId;
import static org.junit.platform.launcher.TagFilter.includeTags;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs the guest-user-space tests inside L1 for {@link NestedTierIT}, writing each test's start
 * and end to the results file as it happens ({@link NestedResults}). Every test and lifecycle
 * method has a time limit ({@link #TEST_LIMIT}, enforced on a separate thread so that a test
 * stuck in a blocking read is abandoned, not waited for). A test that hits it gets a
 * {@link HangReport} and one more attempt at the end of the run. Tests that the results file
 * already finished (an earlier L1 that froze) are not run again; one that was running when that
 * L1 froze counts that as its first attempt.
 *
 * <p>Arguments: the results file, the directory for hang reports, a class-name regex, then the
 * class-path roots to scan.
 */
public final class NestedRunner {
    /**
     * Guards against a hang only: the slowest test takes ~40 s in L1 at low host load. A JUnit
     * duration ("8 m"); {@code -Dember.nestedTestLimit} changes it (NestedRunnerTest uses seconds).
     */
    static final String TEST_LIMIT = System.getProperty("ember.nestedTestLimit", "8 m");
    static final int MAX_ATTEMPTS = 2;
    /**
     * A test whose guest triple-faulted may run a third time: at the rate seen this session (3 to 5
     * L2 boots in 100), two in a row somewhere in a tier of ~35 boots is a few percent per run.
     */
    static final int TRIPLE_FAULT_ATTEMPTS = 3;
    private static final String TRIPLE_FAULT = "triple-faulted";

    private final NestedResults results;
    private final Path hangs;
    private final Launcher launcher = LauncherFactory.create();
    private L1KvmTrace trace;

    private NestedRunner(NestedResults results, Path hangs) {
        this.results = results;
        this.hangs = hangs;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: NestedRunner RESULTS HANG-DIR CLASS-REGEX ROOT...");
            System.exit(2);
        }
        Set<Path> roots = new LinkedHashSet<>();
        for (int i = 3; i < args.length; i++) {
            roots.add(Path.of(args[i]));
        }
        NestedRunner runner = new NestedRunner(new NestedResults(Path.of(args[0])), Path.of(args[1]));
        runner.run(roots, args[2]);
        // Abandoned test threads (hung tests) must not keep this JVM alive.
        System.exit(0);
    }

    private void run(Set<Path> roots, String classes) throws IOException {
        TestPlan plan = launcher.discover(configured(LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClasspathRoots(roots))
                .filters(includeTags(NestedTierIT.tags()), includeClassNamePatterns(classes))));
        List<String> tests = new ArrayList<>();
        for (TestIdentifier root : plan.getRoots()) {
            for (TestIdentifier d : plan.getDescendants(root)) {
                if ((d.isTest() || NestedTierIT.isTemplate(d)) && NestedTierIT.selected(d)) {
                    tests.add(d.getUniqueId());
                }
            }
        }
        System.out.println("nested-runner: " + tests.size() + " tests, limit " + TEST_LIMIT + " each");
        RunnerWatchdog.start(results, hangs, RunnerWatchdog.quietLimit(TEST_LIMIT));
        trace = L1KvmTrace.start();
        for (int round = 1; round <= TRIPLE_FAULT_ATTEMPTS; round++) {
            List<String> due = due(tests);
            if (due.isEmpty()) {
                break;
            }
            if (round > 1) {
                System.out.println("nested-runner: another attempt for " + due.size() + " test(s) that hung or were cut off");
            }
            execute(due);
        }
    }

    /** Tests with no final result whose attempts are not used up; those used up are failed here. */
    private List<String> due(List<String> tests) throws IOException {
        Map<String, NestedResults.TestRecord> done = results.read();
        List<String> due = new ArrayList<>();
        for (String id : tests) {
            NestedResults.TestRecord r = done.get(id);
            if (r == null) {
                due.add(id);
            } else if (!r.finished()) {
                if (r.attempts < allowedAttempts(r)) {
                    due.add(id);
                } else {
                    results.append(NestedResults.Kind.FAILED, id, "no result after " + r.attempts
                            + " attempts: each hung or its L1 froze (hang reports: " + hangs + ")", "");
                }
            }
        }
        return due;
    }

    private void execute(List<String> ids) {
        var request = LauncherDiscoveryRequestBuilder.request();
        for (String id : ids) {
            request.selectors(selectUniqueId(id));
        }
        launcher.execute(configured(request), new Recorder());
    }

    private static LauncherDiscoveryRequest configured(LauncherDiscoveryRequestBuilder request) {
        return request.configurationParameter("junit.jupiter.execution.timeout.default", TEST_LIMIT)
                .configurationParameter("junit.jupiter.execution.timeout.thread.mode.default", "SEPARATE_THREAD")
                .build();
    }

    /** Turns JUnit's events into lines of the results file, as they happen. */
    private final class Recorder implements TestExecutionListener {
        private TestPlan plan;
        private final Set<String> reported = new HashSet<>();
        /** Classes one of whose tests hung: the hang report killed their shared processes (a class's VM). */
        private final Map<String, String> hungInClass = new java.util.HashMap<>();
        private final Map<String, Long> startedAt = new java.util.HashMap<>();
        /** Parameterized tests one of whose invocations is to be run again (it hung or its guest faulted). */
        private final Map<String, String> templatesToRunAgain = new java.util.HashMap<>();

        @Override
        public void testPlanExecutionStarted(TestPlan testPlan) {
            this.plan = testPlan;
        }

        @Override
        public void executionStarted(TestIdentifier id) {
            if (NestedTierIT.isTemplate(id)) {
                // The template is the unit the runner selects and counts attempts of; its invocations are tests as usual.
                templatesToRunAgain.remove(id.getUniqueId());
                write(NestedResults.Kind.STARTED, id.getUniqueId(), "", "");
            }
            if (id.isTest()) {
                startedAt.put(id.getUniqueId(), System.nanoTime());
                trace.rearmIfStopped();
                System.out.println("nested-runner: STARTED " + id.getLegacyReportingName() + " " + id.getUniqueId());
                write(NestedResults.Kind.STARTED, id.getUniqueId(), "", "");
            }
        }

        @Override
        public void executionSkipped(TestIdentifier id, String reason) {
            for (TestIdentifier t : unitsUnder(id)) {
                write(NestedResults.Kind.SKIPPED, t.getUniqueId(), reason, "");
            }
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            Throwable t = result.getThrowable().orElse(null);
            if (NestedTierIT.isTemplate(id)) {
                templateFinished(id, result.getStatus(), t);
            } else if (id.isTest()) {
                Long t0 = startedAt.get(id.getUniqueId());
                String took = t0 == null ? "" : String.format("%.1f s", (System.nanoTime() - t0) / 1e9);
                System.out.println("nested-runner: " + result.getStatus() + " " + id.getLegacyReportingName() + " (" + took + ")"
                        + (t == null ? "" : ": " + t));
                switch (result.getStatus()) {
                    case SUCCESSFUL -> write(NestedResults.Kind.PASSED, id.getUniqueId(), "", took);
                    case ABORTED -> write(NestedResults.Kind.SKIPPED, id.getUniqueId(), t == null ? "" : String.valueOf(t.getMessage()), "");
                    case FAILED -> failed(id, t);
                }
            } else if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                // A class whose set-up failed or was aborted: its tests never started; each gets the reason.
                String evidence = t != null && tripleFaulted(t) ? traceOf(id.getLegacyReportingName() + "-set-up") : "";
                String stallEvidence = t != null && guestStalled(t) ? stallTraceOf(id.getLegacyReportingName() + "-set-up") : "";
                for (TestIdentifier test : unitsUnder(id)) {
                    if (!reported.contains(test.getUniqueId())) {
                        // The set-up was this test's attempt: counted, so a set-up that always faults ends.
                        write(NestedResults.Kind.STARTED, test.getUniqueId(), "", "");
                        if (result.getStatus() == TestExecutionResult.Status.FAILED && t != null
                                && attemptsOf(test.getUniqueId()) < TRIPLE_FAULT_ATTEMPTS && tripleFaulted(t)) {
                            // The class's shared guest triple-faulted while it set up: its tests run again.
                            write(NestedResults.Kind.HUNG, test.getUniqueId(), "an L2 guest " + TRIPLE_FAULT + " (KVM_EXIT_SHUTDOWN) while "
                                    + id.getDisplayName() + " set up, the emulated CPU's fault (docs/testing.md, issue 10)" + evidence + "; to be run again: " + firstLine(t),
                                    stackTrace(t));
                            continue;
                        }
                        if (result.getStatus() == TestExecutionResult.Status.FAILED && t != null
                                && attemptsOf(test.getUniqueId()) < MAX_ATTEMPTS && guestStalled(t)) {
                            // The class's shared guest stopped making progress while it set up (the stop
                            // CI of f4ca03b: LinuxVsockIT's guest went quiet 29 ms into its boot and all 7
                            // tests failed at once): the class sets up once more, like a test whose guest stalled.
                            write(NestedResults.Kind.HUNG, test.getUniqueId(), "the L2 guest stopped making progress while "
                                    + id.getDisplayName() + " set up (its VMM alive, the set-up's wait ran out)"
                                    + stallEvidence + "; to be run again: " + firstLine(t),
                                    stackTrace(t));
                            continue;
                        }
                        NestedResults.Kind kind = result.getStatus() == TestExecutionResult.Status.ABORTED
                                ? NestedResults.Kind.SKIPPED : NestedResults.Kind.FAILED;
                        write(kind, test.getUniqueId(), "in " + id.getDisplayName() + ": " + t, stackTrace(t));
                    }
                }
            }
        }

        /**
         * A parameterized test's end: it ran (each invocation has its own result), or one of its
         * invocations is to run again (the template runs again: JUnit can select a template, and
         * its invocations exist only once it runs), or the template itself failed or was skipped.
         */
        private void templateFinished(TestIdentifier id, TestExecutionResult.Status status, Throwable t) {
            String uid = id.getUniqueId();
            int invocations = plan.getChildren(id).size();
            if (status == TestExecutionResult.Status.ABORTED) {
                write(NestedResults.Kind.SKIPPED, uid, t == null ? "" : String.valueOf(t.getMessage()), "");
            } else if (status == TestExecutionResult.Status.FAILED) {
                write(NestedResults.Kind.FAILED, uid, "the parameterized test failed after " + invocations + " invocation(s): " + t, stackTrace(t));
            } else if (templatesToRunAgain.containsKey(uid)) {
                // The invocation's reason goes with it: a triple fault's allows the template a third attempt too.
                write(NestedResults.Kind.HUNG, uid, "the parameterized test runs again, for an invocation: " + templatesToRunAgain.get(uid), "");
            } else {
                write(NestedResults.Kind.PASSED, uid, "", invocations + " invocation(s)");
            }
        }

        private void failed(TestIdentifier id, Throwable t) {
            String cls = classOf(id);
            int attempt = attemptsOf(id.getUniqueId());
            if (!(rootCause(t) instanceof TimeoutException)) {
                String hung = hungInClass.get(cls);
                String evidence = tripleFaulted(t) ? traceOf(id.getLegacyReportingName() + "-attempt" + attempt) : "";
                if (attempt < TRIPLE_FAULT_ATTEMPTS && tripleFaulted(t)) {
                    write(NestedResults.Kind.HUNG, id.getUniqueId(), "an L2 guest " + TRIPLE_FAULT + " (KVM_EXIT_SHUTDOWN), the emulated"
                            + " CPU's fault (docs/testing.md, issue 10; ~3 per tier run)" + evidence + "; to be run again: " + firstLine(t), stackTrace(t));
                } else if (attempt < MAX_ATTEMPTS && guestStalled(t)) {
                    // The guest stopped making progress with its VMM alive: a hang the test's own wait
                    // caught before the runner's limit did. Under nested TCG the emulated CPU's fault
                    // (docs/testing.md) can leave an early-boot guest halted instead of triple-faulting.
                    write(NestedResults.Kind.HUNG, id.getUniqueId(), "the L2 guest stopped making progress (its VMM alive, the"
                            + " test's wait ran out)" + stallTraceOf(id.getLegacyReportingName() + "-attempt" + attempt)
                            + "; to be run again: " + firstLine(t), stackTrace(t));
                } else if (hung != null && attempt < MAX_ATTEMPTS) {
                    // Not this test's own failure, most likely: it ran after the hang report killed the class's processes.
                    write(NestedResults.Kind.HUNG, id.getUniqueId(), "failed after " + hung + " hung in the same class and its"
                            + " processes were killed; to be run again: " + t, stackTrace(t));
                } else {
                    write(NestedResults.Kind.FAILED, id.getUniqueId(), String.valueOf(t), stackTrace(t));
                }
                return;
            }
            hungInClass.put(cls, id.getLegacyReportingName());
            String stallTrace = stallTraceOf(id.getLegacyReportingName() + "-attempt" + attempt);
            String report = HangReport.write(hangs, id.getLegacyReportingName(), attempt);
            System.out.println("nested-runner: hang report " + report);
            NestedResults.Kind kind = attempt < MAX_ATTEMPTS ? NestedResults.Kind.HUNG : NestedResults.Kind.FAILED;
            write(kind, id.getUniqueId(), "hung on attempt " + attempt + " (limit " + TEST_LIMIT + "): " + t
                    + "; hang report: " + report + stallTrace, stackTrace(t));
        }

        /** Where the L1 kvm trace of a triple fault was kept, as a message clause ("" when none was). */
        private String traceOf(String name) {
            Path kept = trace.keep(hangs, name);
            if (kept == null) {
                return "";
            }
            System.out.println("nested-runner: L1 kvm trace up to the shutdown exit: " + kept);
            return " (L1 kvm trace up to the shutdown exit: " + kept.getFileName() + ")";
        }

        /** The L1 kvm trace's last lines at a stall, kept now, as a message clause ("" when none was). */
        private String stallTraceOf(String name) {
            Path kept = trace.keepNow(hangs, name + "-stall");
            if (kept == null) {
                return "";
            }
            System.out.println("nested-runner: L1 kvm trace of the stall: " + kept);
            return " (L1 kvm trace of the stall: " + kept.getFileName() + ")";
        }

        private int attemptsOf(String id) {
            try {
                NestedResults.TestRecord r = results.read().get(id);
                return r == null ? 1 : r.attempts;
            } catch (IOException e) {
                return 1;
            }
        }

        /** The class a test (or a parameterized test's invocation) belongs to: where a hang's kills reach. */
        private String classOf(TestIdentifier id) {
            TestIdentifier parent = plan.getParent(id).orElse(null);
            while (parent != null && NestedTierIT.isTemplate(parent)) {
                parent = plan.getParent(parent).orElse(null);
            }
            return parent == null ? "" : parent.getUniqueId();
        }

        /** What the runner gives a result for under {@code id}: tests, and parameterized tests as units of their own. */
        private List<TestIdentifier> unitsUnder(TestIdentifier id) {
            if (id.isTest() || NestedTierIT.isTemplate(id)) {
                return List.of(id);
            }
            List<TestIdentifier> units = new ArrayList<>();
            for (TestIdentifier d : plan.getDescendants(id)) {
                if (d.isTest() || NestedTierIT.isTemplate(d)) {
                    units.add(d);
                }
            }
            return units;
        }

        private void write(NestedResults.Kind kind, String id, String message, String detail) {
            if (kind.isFinal() || kind == NestedResults.Kind.HUNG) {
                reported.add(id);
            }
            if (kind == NestedResults.Kind.HUNG) {
                UniqueId uid = UniqueId.parse(id);
                if (uid.getLastSegment().getType().equals("test-template-invocation")) {
                    templatesToRunAgain.put(uid.removeLastSegment().toString(), message);
                }
            }
            try {
                results.append(kind, id, message, detail);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the nested tier's results file " + results.file(), e);
            }
        }
    }

    /**
     * Whether the failure shows an ember log line of a KVM_EXIT_SHUTDOWN: the rare triple fault of
     * an L2 Linux under nested TCG whose cause is not yet known (docs/testing.md). Tests that end a
     * guest that way on purpose do not fail, so this never hides what they check.
     */
    private static boolean tripleFaulted(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (String.valueOf(c.getMessage()).contains("KVM_EXIT_SHUTDOWN (triple fault")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the failure is a test's own wait running out on a guest that stopped making
     * progress while its ember process stayed alive (EmberProcess's "did not exit within" and
     * "never printed ... (timed out)"): a hang, which gets the second attempt a hang gets.
     */
    static boolean guestStalled(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = String.valueOf(c.getMessage());
            if (m.startsWith("ember did not exit within ") || m.startsWith("ember never printed /") && m.contains("/ (timed out)")) {
                return true;
            }
        }
        return false;
    }

    private static String firstLine(Throwable t) {
        String s = String.valueOf(t);
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Attempts a test without a result may have: one more than usual when its last one triple-faulted. */
    private static int allowedAttempts(NestedResults.TestRecord r) {
        boolean fault = !r.hangs.isEmpty() && r.hangs.get(r.hangs.size() - 1).message().contains(TRIPLE_FAULT);
        return fault ? TRIPLE_FAULT_ATTEMPTS : MAX_ATTEMPTS;
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while (c != null && !(c instanceof TimeoutException) && c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }

    private static String stackTrace(Throwable t) {
        if (t == null) {
            return "";
        }
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }
}
