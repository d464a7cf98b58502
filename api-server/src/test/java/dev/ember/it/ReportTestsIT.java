package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/report-tests, the end of every bin/test run, over reports shaped as surefire and failsafe
 * write them: failures named with their first line, their place and a re-run command; skips with
 * their reasons; the counts; exit status 1 on a failure.
 */
class ReportTestsIT {
    @TempDir
    Path dir;

    private static final String UNIT_REPORT = """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuite name="dev.ember.sample.SampleTest" time="0.1" tests="3" errors="0" skipped="1" failures="1">
              <properties><property name="java.version" value="25"/></properties>
              <testcase name="passes" classname="dev.ember.sample.SampleTest" time="0.01"/>
              <testcase name="fails" classname="dev.ember.sample.SampleTest" time="0.02">
                <failure message="sizes differ ==&gt; expected: &lt;2&gt; but was: &lt;3&gt;&#10;second line" type="org.opentest4j.AssertionFailedError"><![CDATA[org.opentest4j.AssertionFailedError: sizes differ ==> expected: <2> but was: <3>
            second line
            \tat org.junit.jupiter.api.AssertionUtils.fail(AssertionUtils.java:158)
            \tat dev.ember.sample.SampleTest.fails(SampleTest.java:42)
            \tat java.base/java.lang.reflect.Method.invoke(Method.java:565)
            ]]></failure>
              </testcase>
              <testcase name="skips" classname="dev.ember.sample.SampleTest" time="0">
                <skipped message="no /dev/kvm on this host"/>
              </testcase>
            </testsuite>
            """;

    private static final String IT_REPORT = """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuite name="dev.ember.it.linux.SampleIT" time="1" tests="1" errors="1" skipped="0" failures="0">
              <testcase name="boots()" classname="dev.ember.it.linux.SampleIT" time="1">
                <error message="" type="java.lang.IllegalStateException"><![CDATA[java.lang.IllegalStateException
            \tat dev.ember.it.linux.SampleIT.boots(SampleIT.java:7)
            ]]></error>
              </testcase>
            </testsuite>
            """;

    private String[] report() throws Exception {
        Process p = new ProcessBuilder(EmberProcess.repo().resolve("bin/report-tests").toString(), dir.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        return new String[] {Integer.toString(p.exitValue()), out};
    }

    @Test
    void failuresAreNamedWithTheirPlaceAndARerunCommandAndTheStatusIsOne() throws Exception {
        Path unit = Files.createDirectories(dir.resolve("sample/target/surefire-reports"));
        Files.writeString(unit.resolve("TEST-dev.ember.sample.SampleTest.xml"), UNIT_REPORT);
        Path it = Files.createDirectories(dir.resolve("api-server/target/failsafe-reports"));
        Files.writeString(it.resolve("TEST-dev.ember.it.linux.SampleIT.xml"), IT_REPORT);
        String[] r = report();
        assertEquals("1", r[0], r[1]);
        String out = r[1];
        assertTrue(out.contains("  dev.ember.sample.SampleTest.fails (SampleTest.java:42): sizes differ ==> expected: <2> but was: <3>\n"
                + "      re-run: bin/test --fast --only SampleTest#fails   [sample, unit]\n"), out);
        assertTrue(out.contains("  dev.ember.it.linux.SampleIT.boots (SampleIT.java:7): java.lang.IllegalStateException\n"
                + "      re-run: bin/test --only SampleIT#boots   [api-server, it]\n"), "a Linux test re-runs without --fast\n" + out);
        assertTrue(out.contains("  dev.ember.sample.SampleTest.skips: no /dev/kvm on this host\n"), out);
        assertTrue(out.endsWith("Tests: 1 passed, 2 failed, 1 skipped\n"), "the counts close the report\n" + out);
    }

    @Test
    void aCleanRunExitsZero() throws Exception {
        Path unit = Files.createDirectories(dir.resolve("m/target/surefire-reports"));
        Files.writeString(unit.resolve("TEST-x.PassTest.xml"), """
                <?xml version="1.0" encoding="UTF-8"?>
                <testsuite name="x.PassTest" tests="1" errors="0" skipped="0" failures="0">
                  <testcase name="ok" classname="x.PassTest" time="0"/>
                </testsuite>
                """);
        String[] r = report();
        assertEquals("0", r[0], r[1]);
        assertEquals("Tests: 1 passed, 0 failed, 0 skipped\n", r[1]);
    }

    @Test
    void noReportsIsNotASuccess() throws Exception {
        String[] r = report();
        assertEquals("1", r[0], r[1]);
        assertTrue(r[1].contains("no tests ran"), r[1]);
    }
}
