package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.it.EmberProcess;
import dev.ember.it.Host;
import dev.ember.it.NeedsKvm;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.platform.engine.TestTag;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.discovery.ClassNameFilter;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.opentest4j.TestAbortedException;

/**
 * The nested-KVM tier: where /dev/kvm is PVM, which cannot run guest user space, or where the host
 * has no usable /dev/kvm at all, every
 * {@link GuestUserSpace} test runs inside an L1 guest booted by {@code bin/nested-kvm} (QEMU/TCG
 * emulating AMD SVM, mainline kvm_amd: real KVM), through {@link NestedRunner} on the same class
 * path, and each result comes back here as a test of its own: passed, failed with the nested
 * failure, or skipped with its reason. {@code bin/test} selects this class on PVM hosts and runs
 * the tagged tests directly elsewhere; docs/testing.md describes the tiers.
 *
 * <p>One L1 boot runs them all. The runner records each test as it starts and ends, so when L1
 * freezes (no event for {@link #STALL}: the emulator, not a test, since every test has its own
 * limit in L1) this class stops it, keeps what it reported, and boots another L1 for the rest (up to
 * {@link #L1_BOOTS} in all; an L1 that panics is replaced the same way).
 * Hangs and extra boots are printed and kept under {@code jailer/target/nested-tier/}.
 */
@Tag(NestedTierIT.TAG)
class NestedTierIT {
    static final String TAG = "nested-tier";
    /** Guards against a hung tier only (all L1 boots together); never a timing assertion. */
    private static final Duration TIER_LIMIT = Duration.ofMinutes(70);
    /** No test event for this long means a frozen L1: the per-test limit in L1 plus its hang report. */
    private static final Duration STALL = Duration.ofMinutes(12);
    /**
     * L1s one tier may boot, each after the last one froze or died (within {@link #TIER_LIMIT}):
     * the clean-clone CI of 47e9ca4 lost its first L1 to a freeze after 16 tests and its second to
     * an L1 kernel panic 200 s in (GS base and stack pointer corrupted on the way back from an L2,
     * the emulator's), and with two boots allowed 28 tests had no result; the stop CI of 50b7f6a
     * (QEMU 7.2) lost four in a row and ten tests had no result. The time limit bounds them anyway.
     */
    private static final int L1_BOOTS = 6;
    /**
     * Which test classes run in L1 (a regex over class names; {@code -Dember.nestedClasses=} narrows
     * the tier to one class while working on it, e.g. {@code '^.*LinuxVsockIT$'}). "Test" for the
     * in-process KVM tests of vmm-core and api-server, which L1 runs on a host without KVM.
     */
    private static final String CLASSES = System.getProperty("ember.nestedClasses", "^.*(IT|Test)$");

    /**
     * The tags L1 runs: guest user space; on a host with no usable /dev/kvm also test guests
     * ({@link NeedsKvm}) of {@link #KVM_CLASSES}, which would otherwise only skip there. Passed to
     * L1 by property (L1 has a /dev/kvm of its own).
     */
    static List<String> tags() {
        String given = System.getProperty("ember.nestedTags");
        if (given != null) {
            return List.of(given.split(","));
        }
        return Host.hasKvm() ? List.of(GuestUserSpace.TAG) : List.of(GuestUserSpace.TAG, NeedsKvm.TAG);
    }

    /**
     * The classes whose {@link NeedsKvm} tests L1 runs for a host without /dev/kvm: all of them (the
     * test guests, vmm-core's and api-server's in-process KVM tests, the jailer's boot flows) but
     * {@code LauncherAotCacheIT}, whose AOT training writes into the repository (read-only in L1)
     * and whose API checks need no KVM and run on the host. Narrow it while working on one class,
     * e.g. {@code -Dember.nestedKvmClasses='^.*\\.SnapshotIT$'}.
     */
    static final String KVM_CLASSES = System.getProperty("ember.nestedKvmClasses", "^(?!.*\\.LauncherAotCacheIT$).*$");
    private static final Pattern CLASS_OF_ID = Pattern.compile("\\[class:([^\\]]+)\\]");

    /** Whether L1 runs this test: every guest-user-space test, and the chosen test guests. */
    static boolean selected(TestIdentifier test) {
        boolean userSpace = false;
        boolean kvm = false;
        for (TestTag tag : test.getTags()) {
            userSpace |= tag.getName().equals(GuestUserSpace.TAG);
            kvm |= tag.getName().equals(NeedsKvm.TAG);
        }
        if (userSpace) {
            return true;
        }
        Matcher m = CLASS_OF_ID.matcher(test.getUniqueId());
        return kvm && tags().contains(NeedsKvm.TAG) && m.find() && m.group(1).matches(KVM_CLASSES);
    }

    @TestFactory
    Stream<DynamicTest> guestUserSpaceTestsUnderNestedKvm() throws Exception {
        // Not the host's /dev/kvm: L1 is QEMU/TCG and brings its own (kvm_amd), so a host without
        // any KVM runs its guest-user-space tests here too.
        Assumptions.assumeTrue(Host.slowTestsEnabled(), "Linux boot tests are slow: enable them with -Dember.slow=true (bin/test does)");
        Path repo = EmberProcess.repo();
        Path share = repo.resolve("jailer/target/nested-tier");
        deleteTree(share);
        Files.createDirectories(share);
        NestedResults results = new NestedResults(share.resolve("results.tsv"));
        Map<String, String> expected = expectedTests(repo);

        long deadline = System.nanoTime() + TIER_LIMIT.toNanos();
        List<String> boots = new ArrayList<>();
        for (int boot = 1; boot <= L1_BOOTS; boot++) {
            long left = TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime());
            if (left < 120) {
                boots.add("no L1 boot " + boot + ": the tier's " + TIER_LIMIT.toMinutes() + " minutes are used up");
                break;
            }
            boots.add("L1 boot " + boot + ": " + runL1(repo, share, results, boot, left));
            if (unfinished(results.read(), expected.keySet()).isEmpty()) {
                break;
            }
        }
        for (String b : boots) {
            System.out.println("nested tier: " + b);
        }

        Map<String, NestedResults.TestRecord> records = results.read();
        List<String> missing = unfinished(records, expected.keySet());
        String context = String.join("\n", boots) + "\n--- last L1's log (" + share + ") ---\n" + tail(lastLog(share), 60);
        List<DynamicTest> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("every test chosen for L1 has a result from it", () ->
                assertTrue(missing.isEmpty(), missing.size() + " of " + expected.size() + " tests have no result from L1: " + missing
                        + "\n" + context)));
        for (Map.Entry<String, String> e : expected.entrySet()) {
            NestedResults.TestRecord r = records.get(e.getKey());
            if (isTemplate(e.getKey()) && r != null && r.finished() && r.outcome.kind() == NestedResults.Kind.PASSED) {
                // A parameterized test that ran: its invocations are reported below, each a test of its own.
                continue;
            }
            tests.add(DynamicTest.dynamicTest(e.getValue(), () -> report(r, context)));
        }
        for (NestedResults.TestRecord r : records.values()) {
            if (!expected.containsKey(r.uniqueId)) {
                // Tests that exist only once running (a parameterized test's invocations): reported as L1 ran them.
                tests.add(DynamicTest.dynamicTest(shortName(r.uniqueId), () -> report(r, context)));
            }
        }
        return tests.stream();
    }

    /** Events printed so far: each result is printed as L1 reports it, so a long run shows its progress. */
    private int printed;

    private int printProgress(NestedResults results, int from) {
        try {
            List<NestedResults.Event> events = results.events();
            for (int i = from; i < events.size(); i++) {
                NestedResults.Event e = events.get(i);
                if (e.kind() != NestedResults.Kind.STARTED) {
                    String id = e.uniqueId();
                    String text = e.kind() == NestedResults.Kind.PASSED ? e.detail() : e.message().lines().findFirst().orElse("");
                    System.out.println("nested tier: " + e.kind() + " " + shortName(id) + (text.isEmpty() ? "" : ": " + text));
                }
            }
            return events.size();
        } catch (IOException e) {
            return from;
        }
    }

    /**
     * "LinuxNetIT.guestConfiguredByDhcpReachesTheHostSide()" for a Jupiter unique id; a parameterized
     * test's invocation gets its number: "SnapshotIT.blockIo(java.lang.String)[2]".
     */
    static String shortName(String uniqueId) {
        Matcher m = Pattern.compile("\\[class:(?:[^\\]]*\\.)?([^\\].]+)\\].*\\[(?:method|test-factory|test-template):([^\\]]+)\\]"
                + "(?:/\\[test-template-invocation:#(\\d+)\\])?").matcher(uniqueId);
        return m.find() ? m.group(1) + "." + m.group(2) + (m.group(3) == null ? "" : "[" + m.group(3) + "]") : uniqueId;
    }

    /**
     * A parameterized (template) test: JUnit knows its invocations only once it runs, so L1 selects
     * and counts the template, and reports each invocation as it ran.
     */
    static boolean isTemplate(TestIdentifier id) {
        return id.isContainer() && isTemplate(id.getUniqueId());
    }

    static boolean isTemplate(String uniqueId) {
        return UniqueId.parse(uniqueId).getLastSegment().getType().equals("test-template");
    }

    private static void report(NestedResults.TestRecord r, String context) {
        if (r == null || !r.finished()) {
            throw new AssertionError("no result from L1" + (r == null ? "" : " after " + r.attempts + " attempt(s)") + "\n" + context);
        }
        NestedResults.Event o = r.outcome;
        switch (o.kind()) {
            case FAILED -> throw new AssertionError("under nested KVM: " + o.message() + "\n" + o.detail());
            case SKIPPED -> throw new TestAbortedException("skipped under nested KVM: " + o.message());
            default -> {
                if (r.attempts > 1) {
                    // Passed, but not at once: say so where the run's output is read.
                    System.out.println("nested tier: " + r.uniqueId + " passed on attempt " + r.attempts + " after: "
                            + (r.hangs.isEmpty() ? "its L1 froze" : r.hangs.get(0).message()));
                }
            }
        }
    }

    /** Boots one L1 running {@link NestedRunner}; returns how that boot ended. */
    private String runL1(Path repo, Path share, NestedResults results, int boot, long seconds) throws Exception {
        Path log = share.resolve("tests-" + boot + ".log");
        List<String> cmd = new ArrayList<>(List.of(repo.resolve("bin/nested-kvm").toString(), "--share", share.toString(),
                "--timeout", Long.toString(seconds), "--",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dember.repo=" + repo, "-Dember.slow=true", "-Dember.tier=nested",
                "-Dember.nestedTags=" + String.join(",", tags()), "-Dember.nestedKvmClasses=" + KVM_CLASSES,
                "-cp", runnerClassPath(repo),
                NestedRunner.class.getName(), results.file().toString(), share.resolve("hangs").toString(), CLASSES));
        for (Path root : roots(repo)) {
            cmd.add(root.toString());
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(repo.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("EMBER_NESTED_LOG", share.resolve("l1-console-" + boot + ".log").toString());
        Process l1 = pb.start();
        long size = results.size();
        long lastEvent = System.nanoTime();
        while (!l1.waitFor(2, TimeUnit.SECONDS)) {
            long now = System.nanoTime();
            if (results.size() != size) {
                size = results.size();
                lastEvent = now;
                printed = printProgress(results, printed);
            } else if (now - lastEvent > STALL.toNanos()) {
                // bin/nested-kvm answers SIGTERM with its stall report (heartbeat, QEMU threads, console).
                l1.destroy();
                if (!l1.waitFor(60, TimeUnit.SECONDS)) {
                    l1.descendants().forEach(ProcessHandle::destroyForcibly);
                    l1.destroyForcibly();
                }
                return "stopped: no test event for " + STALL.toMinutes() + " min (L1 taken as frozen; its report is in " + log + ")";
            }
        }
        printProgress(results, printed);
        int exit = l1.exitValue();
        return "ended with bin/nested-kvm exit " + exit + switch (exit) {
            case 123 -> " (L1 froze: its heartbeat stopped; its report is in " + log + ")";
            case 124 -> " (timed out; see " + log + ")";
            default -> "";
        };
    }

    /** This module's test class path, plus vmm-core's test classes (their dependencies are on it already). */
    private static String runnerClassPath(Path repo) {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))
                + File.pathSeparator + repo.resolve("vmm-core/target/test-classes");
    }

    private static List<String> unfinished(Map<String, NestedResults.TestRecord> records, Iterable<String> expected) {
        List<String> missing = new ArrayList<>();
        for (String id : expected) {
            NestedResults.TestRecord r = records.get(id);
            if (r == null || !r.finished()) {
                missing.add(id);
            }
        }
        return missing;
    }

    /**
     * Where the tagged tests live: api-server's Linux ITs and this module's jailed ones, and (for a
     * host without KVM) vmm-core's in-process KVM tests. The tier runs in the jailer module, the last
     * of the reactor, so that all are built by then. vmm-core's test classes are on no class path of
     * this module's, so L1's runner gets them added ({@link #runnerClassPath}).
     */
    static List<Path> roots(Path repo) {
        return List.of(repo.resolve("api-server/target/test-classes"), repo.resolve("jailer/target/test-classes"),
                repo.resolve("vmm-core/target/test-classes"));
    }

    /**
     * The tagged tests JUnit finds on this side (unique id → class.method): a class that fails to
     * load in L1 must not vanish from the count.
     */
    private static Map<String, String> expectedTests(Path repo) {
        var request = LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClasspathRoots(new HashSet<>(roots(repo))))
                .filters(TagFilter.includeTags(tags()), ClassNameFilter.includeClassNamePatterns(CLASSES))
                .build();
        TestPlan plan = LauncherFactory.create().discover(request);
        Map<String, String> tests = new LinkedHashMap<>();
        for (TestIdentifier root : plan.getRoots()) {
            for (TestIdentifier t : plan.getDescendants(root)) {
                if ((t.isTest() || isTemplate(t)) && selected(t)) {
                    String cls = plan.getParent(t).map(TestIdentifier::getLegacyReportingName).orElse("?");
                    tests.put(t.getUniqueId(), cls.substring(cls.lastIndexOf('.') + 1) + "." + t.getLegacyReportingName());
                }
            }
        }
        return tests;
    }

    private static Path lastLog(Path share) {
        for (int boot = L1_BOOTS; boot >= 1; boot--) {
            Path log = share.resolve("tests-" + boot + ".log");
            if (Files.exists(log)) {
                return log;
            }
        }
        return share.resolve("tests-1.log");
    }

    private static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(" + file + ": " + e.getMessage() + ")";
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
