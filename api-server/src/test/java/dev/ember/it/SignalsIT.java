package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.api.UnixHttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signals sent to the real bin/ember process. */
class SignalsIT {
    private static final Duration BOOT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @BeforeEach
    void needsKvm() {
        assumeTrue(Host.hasKvm(), "no usable /dev/kvm on this host");
    }

    private static void signal(EmberProcess vm, String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(vm.pid())).inheritIO().start();
        assertTrue(kill.waitFor(30, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + name);
    }

    @Test
    void sigquitsThreadDumpGoesToStderrNeverIntoTheGuestConsole() throws Exception {
        try (EmberProcess vm = EmberProcess.boot("docs/examples/idle.json")) {
            Matcher tick = vm.awaitStdout("(?m)^tick (\\d+)$", BOOT);
            signal(vm, "QUIT");
            vm.awaitStderr("Full thread dump", BOOT);
            // The guest goes on ticking: the dump did not stop the VMM.
            vm.awaitStdout("(?m)^tick " + (Integer.parseInt(tick.group(1)) + 2) + "$", BOOT);
            assertFalse(vm.stdout().contains("Full thread dump"), "thread dump in the guest console\n" + vm.describe());
            assertFalse(vm.stdout().contains("\"main\""), "thread dump in the guest console\n" + vm.describe());
            vm.terminate();
            assertEquals(0, vm.awaitExit(BOOT), vm.describe());
        }
    }

    /**
     * Firecracker installs no SIGUSR1 handler, so the signal's default action ends its process
     * (status 128+10 to a shell) and leaves its socket file; Ember does the same, and the next
     * process on that socket path replaces the stale file.
     */
    @Test
    void sigusr1EndsTheProcessAsFirecrackersAndTheSocketPathCanBeReused() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.start("--api-sock", sock.toString())) {
            vm.api(sock);
            signal(vm, "USR1");
            assertEquals(128 + 10, vm.awaitExit(BOOT), vm.describe());
            assertTrue(Files.exists(sock), "the socket file stays, as Firecracker's does");
        }
        try (EmberProcess next = EmberProcess.start("--api-sock", sock.toString())) {
            UnixHttpClient http = next.api(sock);
            assertEquals("Not started", http.instanceState());
            next.terminate();
            assertEquals(0, next.awaitExit(BOOT), next.describe());
        }
    }
}
