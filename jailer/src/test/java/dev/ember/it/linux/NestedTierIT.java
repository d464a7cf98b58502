package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.it.EmberProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.platform.engine.discovery.ClassNameFilter;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.opentest4j.TestAbortedException;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The nested-KVM tier: where /dev/kvm is PVM, which cannot run guest user space, every
 * {@link GuestUserSpace} test runs inside one L1 guest booted by {@code bin/nested-kvm} (QEMU/TCG
 * emulating AMD SVM, mainline kvm_amd: real KVM), through JUnit's console launcher on the same
 * class path, and each result comes back here as a test of its own: passed, failed with the
 * nested failure, or skipped with its reason. {@code bin/test} selects this class on PVM hosts
 * and runs the tagged tests directly elsewhere; docs/testing.md describes the tiers.
 */
@Tag(NestedTierIT.TAG)
class NestedTierIT {
    static final String TAG = "nested-tier";
    /** Guards against a hung L1 only; never a timing assertion. */
    private static final Duration LIMIT = Duration.ofMinutes(45);
    /**
     * Which test classes run in L1 (a regex over class names; {@code -Dember.nestedClasses=} narrows
     * the tier to one class while working on it, e.g. {@code '^.*LinuxVsockIT$'}).
     */
    private static final String CLASSES = System.getProperty("ember.nestedClasses", "^.*IT$");

    @TestFactory
    Stream<DynamicTest> guestUserSpaceTestsUnderNestedKvm() throws Exception {
        LinuxTests.assumeSlowTestsOnKvm();
        Path repo = EmberProcess.repo();
        Path share = repo.resolve("jailer/target/nested-tier");
        deleteTree(share);
        Path reports = Files.createDirectories(share.resolve("reports"));
        Path log = share.resolve("tests.log");
        Path console = share.resolve("l1-console.log");

        List<String> cmd = new ArrayList<>(List.of(repo.resolve("bin/nested-kvm").toString(), "--share", share.toString(),
                "--timeout", Long.toString(LIMIT.toSeconds()), "--",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dember.repo=" + repo, "-Dember.slow=true", "-Dember.tier=nested",
                "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                "org.junit.platform.console.ConsoleLauncher", "execute", "--disable-banner", "--disable-ansi-colors",
                "--details=testfeed", "--scan-classpath", roots(repo).get(0).toString(), "--scan-classpath", roots(repo).get(1).toString(),
                "--include-classname", CLASSES, "--include-tag", GuestUserSpace.TAG, "--reports-dir", reports.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(repo.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("EMBER_NESTED_LOG", console.toString());
        Process l1 = pb.start();
        if (!l1.waitFor(LIMIT.toSeconds() + 120, TimeUnit.SECONDS)) {
            l1.destroyForcibly();
        }
        int status = l1.isAlive() ? -1 : l1.exitValue();
        Path xml = reports.resolve("TEST-junit-jupiter.xml");
        assertTrue(Files.isRegularFile(xml), "the nested tier produced no report (bin/nested-kvm exit " + status + ")\n"
                + tail(log, 60) + "\n--- L1 console ---\n" + tail(console, 40));

        List<DynamicTest> results = new ArrayList<>();
        long expected = expectedTestCount(repo);
        NodeList cases = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile()).getElementsByTagName("testcase");
        results.add(DynamicTest.dynamicTest("every guest-user-space test ran under nested KVM", () ->
                assertEquals(expected, cases.getLength(), "tests found on the host vs results from L1\n" + tail(log, 60))));
        for (int i = 0; i < cases.getLength(); i++) {
            Element c = (Element) cases.item(i);
            String cls = c.getAttribute("classname");
            String name = cls.substring(cls.lastIndexOf('.') + 1) + "." + c.getAttribute("name");
            Element failure = first(c, "failure");
            Element error = first(c, "error");
            Element skipped = first(c, "skipped");
            results.add(DynamicTest.dynamicTest(name, () -> {
                Element bad = failure != null ? failure : error;
                if (bad != null) {
                    throw new AssertionError("under nested KVM: " + bad.getAttribute("message") + "\n" + bad.getTextContent());
                }
                if (skipped != null) {
                    String why = skipped.getAttribute("message");
                    throw new TestAbortedException("skipped under nested KVM: " + (why.isEmpty() ? skipped.getTextContent().trim() : why));
                }
            }));
        }
        return results.stream();
    }

    /**
     * Where the tagged tests live: api-server's Linux ITs and this module's jailed ones. The tier
     * runs in the jailer module, the last of the reactor, so that both are built by then.
     */
    private static List<Path> roots(Path repo) {
        return List.of(repo.resolve("api-server/target/test-classes"), repo.resolve("jailer/target/test-classes"));
    }

    /** How many tagged tests JUnit finds on this side: a class that fails to load in L1 must not vanish. */
    private static long expectedTestCount(Path repo) {
        var request = LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClasspathRoots(new java.util.HashSet<>(roots(repo))))
                .filters(TagFilter.includeTags(GuestUserSpace.TAG), ClassNameFilter.includeClassNamePatterns(CLASSES))
                .build();
        return LauncherFactory.create().discover(request).countTestIdentifiers(TestIdentifier::isTest);
    }

    private static Element first(Element parent, String tag) {
        NodeList l = parent.getElementsByTagName(tag);
        return l.getLength() == 0 ? null : (Element) l.item(0);
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
