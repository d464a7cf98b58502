package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What bin/ember sets up for the API's request path (issue 14: GET / against QEMU's QMP round
 * trip): one HTTP thread, and early C1 compilation of the request path without a word on stdout.
 */
class ApiRequestPathIT {
    @TempDir
    Path dir;

    /** The JVM flags the launcher passed, in order. */
    private static List<String> cmdline(long pid) throws Exception {
        byte[] raw = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
        List<String> args = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == 0) {
                args.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        return args;
    }

    private static List<String> threadNames(long pid) throws Exception {
        List<String> names = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                names.add(Files.readString(t.resolve("comm")).strip());
            }
        }
        return names;
    }

    /**
     * The request path (Undertow, XNIO, dev.ember.api) compiles after a tenth of the global
     * thresholds, asked for with {@code CompileCommand} after {@code CompileCommand=quiet}: without
     * it the JVM confirms each command on stdout, which is the guest's serial console.
     */
    @Test
    void theRequestPathCompilesEarlyAndStdoutCarriesNothingButTheGuest() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.start("--api-sock", sock.toString())) {
            var http = vm.api(sock);
            for (int i = 0; i < 50; i++) {
                assertEquals(200, http.get("/").status(), vm.describe());
            }
            List<String> args = cmdline(vm.pid());
            int quiet = args.indexOf("-XX:CompileCommand=quiet");
            assertTrue(quiet >= 0, args.toString());
            for (String pkg : List.of("io.undertow", "org.xnio", "dev.ember.api")) {
                int at = args.indexOf("-XX:CompileCommand=CompileThresholdScaling," + pkg + ".*::*,0.1");
                assertTrue(at > quiet, pkg + " in " + args);
            }
            assertEquals("", vm.stdout(), "nothing but the guest may write to stdout");
            vm.terminate();
            assertEquals(0, vm.awaitExit(Duration.ofSeconds(30)), vm.describe());
        }
    }

    /** The I/O thread selects on the socket itself: no separate poller thread hands readiness to it. */
    @Test
    void oneThreadServesHttp() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.start("--api-sock", sock.toString())) {
            assertEquals(200, vm.api(sock).get("/").status(), vm.describe());
            List<String> names = threadNames(vm.pid());
            assertTrue(names.contains("ember-api-io"), names.toString());
            assertFalse(names.contains("ember-api"), names.toString());
            vm.terminate();
            assertEquals(0, vm.awaitExit(Duration.ofSeconds(30)), vm.describe());
        }
    }
}
