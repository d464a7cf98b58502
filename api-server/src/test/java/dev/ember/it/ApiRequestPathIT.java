package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What bin/ember sets up for the API's request path (issue 14: GET / against QEMU's QMP round
 * trip): early C1 compilation of the request path without a word on stdout. (That one thread
 * serves HTTP, with no separate poller thread, is checked by SeccompCliIT's per-thread filters.)
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

    /**
     * The request path (Undertow, XNIO, dev.ember.api) compiles after a tenth of the global
     * thresholds, asked for with {@code CompileCommand} after {@code CompileCommand=quiet}: without
     * it the JVM confirms each command on stdout, which is the guest's serial console.
     */
    @Test
    void theRequestPathCompilesEarlyAndStdoutCarriesNothingButTheGuest() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.serving(sock)) {
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
            vm.stopCleanly();
        }
    }

    /**
     * Answering the first {@code GET /} (an orchestrator's readiness probe) spins no proxy class on
     * the I/O thread: a command's phase is its type (VmmCommand.AnyPhase/PreBoot/PostBoot), no
     * longer an annotation, whose first reading made the JDK generate proxy classes for it and its
     * meta-annotations there (~7 ms of CPU, which the AOT cache cannot hold).
     */
    @Test
    void theFirstGetRootSpinsNoProxyClassOnTheIoThread() throws Exception {
        Path classes = dir.resolve("classes.log");
        try (EmberProcess vm = EmberProcess.servingWithClassLog(dir.resolve("api.sock"), classes)) {
            for (String line : vm.classesLoadedBy("ember-api-io", classes)) {
                assertFalse(line.contains("__dynamic_proxy__"), line);
            }
            vm.stopCleanly();
        }
    }

    /**
     * The code cache is committed whole at start, so no thread maps executable memory later: it
     * grew in 64 KiB steps otherwise, an mmap with PROT_EXEC on whichever thread needed room (a
     * Java thread does, for an itable stub its compiled code calls through), and the api and vcpu
     * filters kill the process for that (SIGSYS on ember-api-io in an API soak).
     */
    @Test
    void theCodeCacheIsCommittedWholeAtStart() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.serving(sock)) {
            long executable = 0;
            for (String line : Files.readAllLines(Path.of("/proc/" + vm.pid() + "/maps"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length == 5 && f[1].contains("x")) { // anonymous and executable: the code cache
                    String[] range = f[0].split("-");
                    executable = Math.max(executable, Long.parseUnsignedLong(range[1], 16) - Long.parseUnsignedLong(range[0], 16));
                }
            }
            assertTrue(executable >= 16L << 20, "largest anonymous executable mapping " + (executable >> 10) + " KiB, not the whole 16 MiB");
            vm.stopCleanly();
        }
    }
}
