package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** User mistakes on the command line and in config files: clear messages, Firecracker's exit codes, no stack traces. */
class CliErrorsIT {
    @TempDir
    Path dir;

    private static void assertNoStackTrace(EmberProcess p) {
        assertFalse(p.stderr().contains("\tat "), "no stack trace\n" + p.describe());
        assertFalse(p.stderr().contains("Exception in thread"), p.describe());
    }

    /** Boots {@code cfg}: ember refuses it with 152, no stack trace, and stderr names each of {@code mentions}; returns stderr. */
    private static String refused(Path cfg, String... mentions) throws Exception {
        try (EmberProcess p = EmberProcess.boot(cfg.toString())) {
            assertEquals(152, p.awaitExit(Duration.ofSeconds(30)), p.describe());
            for (String m : mentions) {
                assertTrue(p.stderr().contains(m), "stderr should name \"" + m + "\"\n" + p.describe());
            }
            assertNoStackTrace(p);
            return p.stderr();
        }
    }

    private Path missingKernelConfig() throws java.io.IOException {
        return Files.writeString(dir.resolve("c.json"), "{\"boot-source\":{\"kernel_image_path\":\"/nonexistent/vmlinux\"},"
                + "\"machine-config\":{\"vcpu_count\":1,\"mem_size_mib\":64}}");
    }

    @Test
    void missingKernelNamesTheFieldAndExits152() throws Exception {
        refused(missingKernelConfig(), "kernel_image_path");
    }

    /**
     * mem_size_mib is Firecracker's usize: 2^64−1 passes PUT /machine-config (and GET shows it),
     * and InstanceStart refuses it with the field and a size that fits; the process keeps serving.
     * From a config file the same start fails with 152.
     */
    @Test
    void memSizeOfTwoToTheSixtyFourMinusOneFailsAtInstanceStart() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (EmberProcess p = EmberProcess.start("--api-sock", sock.toString())) {
            dev.ember.api.UnixHttpClient http = p.api(sock);
            assertEquals(204, http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 18446744073709551615}").status());
            assertTrue(http.get("/machine-config").body().contains("\"mem_size_mib\":18446744073709551615"), p.describe());
            assertEquals(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + TestGuests.image() + "\"}").status());
            dev.ember.api.UnixHttpClient.Response start = http.put("/actions", "{\"action_type\": \"InstanceStart\"}");
            assertEquals(400, start.status(), start.body());
            assertTrue(start.body().contains("machine-config.mem_size_mib is 18446744073709551615 MiB, more guest memory than Ember"
                    + " can map (64 TiB); PUT /machine-config with a mem_size_mib of at most "), start.body());
            assertEquals("Not started", dev.ember.config.StrictJson.MAPPER.readTree(http.get("/").body()).path("state").asText());
            assertNoStackTrace(p);
        }
        Path cfg = Files.writeString(dir.resolve("big.json"), "{\"boot-source\":{\"kernel_image_path\":\"" + TestGuests.image()
                + "\"},\"machine-config\":{\"vcpu_count\":1,\"mem_size_mib\":18446744073709551615}}");
        refused(cfg, "machine-config.mem_size_mib is 18446744073709551615 MiB");
    }

    @Test
    void unknownSectionIsRejectedWithTheAcceptedOnes() throws Exception {
        Path cfg = dir.resolve("c.json");
        Files.writeString(cfg, "{\"boot-source\":{\"kernel_image_path\":\"" + TestGuests.image() + "\"},\"gpu\":{}}");
        refused(cfg, "gpu", "machine-config"); // the unknown section, and the accepted ones listed
    }

    @Test
    @NeedsKvm
    void notAKernelIsReportedAsSuch() throws Exception {
        Path bogus = dir.resolve("bogus.bin");
        Files.write(bogus, new byte[8192]);
        Path cfg = dir.resolve("c.json");
        Files.writeString(cfg, "{\"boot-source\":{\"kernel_image_path\":\"" + bogus + "\"},\"machine-config\":{\"vcpu_count\":1,\"mem_size_mib\":64}}");
        try (EmberProcess p = EmberProcess.boot(cfg.toString())) {
            int code = p.awaitExit(Duration.ofSeconds(30));
            assertTrue(code != 0, p.describe());
            assertTrue(p.stderr().toLowerCase().contains("bogus.bin"), p.describe());
            assertNoStackTrace(p);
        }
    }

    private static int count(String haystack, String needle) {
        return haystack.split(java.util.regex.Pattern.quote(needle), -1).length - 1;
    }

    @Test
    void anErrorIsPrintedOnce() throws Exception {
        Path cfg = missingKernelConfig();
        try (EmberProcess p = EmberProcess.boot(cfg.toString())) {
            assertEquals(152, p.awaitExit(Duration.ofSeconds(30)), p.describe());
            assertEquals(1, count(p.stderr(), "/nonexistent/vmlinux"), "one line for one error\n" + p.describe());
            assertTrue(p.stderr().contains("ember: "), p.describe());
        }
        // With a log file of its own, the log gets the error too; stderr still says it once.
        Path log = dir.resolve("ember.log");
        try (EmberProcess p = EmberProcess.boot(cfg.toString(), "--log-path", log.toString())) {
            assertEquals(152, p.awaitExit(Duration.ofSeconds(30)), p.describe());
            assertEquals(1, count(p.stderr(), "/nonexistent/vmlinux"), p.describe());
            assertEquals(1, count(Files.readString(log), "/nonexistent/vmlinux"), Files.readString(log));
        }
    }

    @Test
    void malformedConfigNamesTheFileOnce() throws Exception {
        Path cfg = Files.writeString(dir.resolve("bad.json"), "{\"boot-source\": ");
        String stderr = refused(cfg, "ember: config file " + cfg + ": EOF while parsing a value at line 1 column 16. the file is not JSON: ");
        assertEquals(1, count(stderr, "config file"), stderr);
    }

    /**
     * Under bin/quickstart a shell runs the build and then exec's bin/ember: the process is as old
     * as that shell. The figure must not count the time before the JVM started: here a shell
     * sleeps before exec'ing, and the figure must fit in what the test saw minus that sleep.
     */
    @Test
    @NeedsKvm
    void readyIsCountedFromTheJvmStartNotFromTheShellThatExecdIt() throws Exception {
        long sleepUs = 2_000_000;
        long t0 = System.nanoTime();
        try (EmberProcess p = EmberProcess.startVia(List.of("bash", "-c", "sleep 2; exec \"$0\" \"$@\""),
                "--no-api", "--config-file", "docs/examples/hello.json")) {
            java.util.regex.Matcher m = p.awaitStderr("Ember ready ([0-9]+) us after (.*)$", Duration.ofSeconds(60));
            long seenUs = (System.nanoTime() - t0) / 1000;
            assertEquals("the JVM started", m.group(2), p.describe());
            long readyUs = Long.parseLong(m.group(1));
            assertTrue(readyUs <= seenUs - sleepUs, "ready " + readyUs + " us, but the JVM ran for at most "
                    + (seenUs - sleepUs) + " us\n" + p.describe());
            assertEquals(0, p.awaitExit(Duration.ofSeconds(60)), p.describe());
        }
    }

    /** A log line that comes while the guest's console line is unfinished goes on a line of its own. */
    @Test
    @NeedsKvm
    void logLinesNeverShareALineWithTheConsole() throws Exception {
        try (EmberProcess p = EmberProcess.bootSharingOutput(dir.resolve("out"), TestGuests.config(dir, "echo").toString())) {
            // A log line that outwaits the guest's line breaks it: "EMBER-TEST: RE", the log line, "ADY echo".
            p.awaitStdout("ADY echo\n", Duration.ofSeconds(60));
            p.type("half a line");
            p.awaitStdout("half a line", Duration.ofSeconds(30)); // echoed: the console is mid-line
            p.terminate(); // logs "received SIGTERM, ..."
            assertEquals(0, p.awaitExit(Duration.ofSeconds(30)), p.describe());
            String out = p.stdout();
            assertTrue(out.contains("half a line\n"), out);
            for (String line : out.split("\n")) {
                assertFalse(line.matches(".+[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]+ \\[.*"),
                        "a log line inside a console line: " + line + "\n" + out);
            }
        }
    }

    @Test
    void badArgumentsExit153() throws Exception {
        try (EmberProcess p = EmberProcess.start("--no-such-flag")) {
            assertEquals(153, p.awaitExit(Duration.ofSeconds(30)), p.describe());
            assertNoStackTrace(p);
        }
    }
}
