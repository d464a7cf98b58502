package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.api.UnixHttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots the freestanding test guest through the real {@code bin/ember} process and checks what
 * the guest printed on its serial console and the process's exit status.
 */
@NeedsKvm
class TestGuestBootIT {
    private static final Duration BOOT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static void assertExit(EmberProcess vm, int expected) throws InterruptedException {
        int code = vm.awaitExit(BOOT);
        assertEquals(expected, code, "exit status\n" + vm.describe());
    }

    @Test
    void helloPrintsItsGreetingAndExitsZero() throws Exception {
        try (EmberProcess vm = EmberProcess.boot(TestGuests.config(dir, "hello").toString())) {
            assertExit(vm, 0);
            assertTrue(vm.stdout().contains("Hello from the Ember test guest\n"), vm.describe());
            assertTrue(vm.stdout().contains("EMBER-TEST: PASS hello"), vm.describe());
        }
    }

    @Test
    void exampleConfigFromTheReadmeBootsHello() throws Exception {
        try (EmberProcess vm = EmberProcess.boot("docs/examples/hello.json")) {
            assertExit(vm, 0);
            assertTrue(vm.stdout().contains("Hello from the Ember test guest"), vm.describe());
        }
    }

    @Test
    void guestFailureCodeBecomesTheExitStatus() throws Exception {
        try (EmberProcess vm = EmberProcess.boot(TestGuests.config(dir, "fail").toString())) {
            assertExit(vm, 3);
            assertTrue(vm.stdout().contains("EMBER-TEST: FAIL fail: deliberate failure"), vm.describe());
        }
    }

    @Test
    void guestSeesTheCommandLineAndAnE820MapMatchingMachineConfig() throws Exception {
        Path cfg = TestGuests.config(dir, "bootinfo", 1, 64, "marker=xyz");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertExit(vm, 0);
            String out = vm.stdout();
            assertTrue(out.contains("cmdline: console=ttyS0 ember.test=bootinfo marker=xyz"), vm.describe());
            Matcher high = java.util.regex.Pattern.compile("e820: 0x100000 0x([0-9a-f]+) 1").matcher(out);
            assertTrue(high.find(), "RAM from 1 MiB in the e820 map\n" + vm.describe());
            assertEquals(64L << 20, Long.parseLong(high.group(1), 16), "RAM ends at the configured 64 MiB");
            assertTrue(out.contains("e820: 0x0 0x9fc00 1"), "low RAM below the EBDA\n" + vm.describe());
            assertTrue(out.contains("EMBER-TEST: PASS bootinfo"), vm.describe());
        }
    }

    @Test
    void serialInputReachesTheGuestAndIsEchoed() throws Exception {
        try (EmberProcess vm = EmberProcess.boot(TestGuests.config(dir, "echo").toString())) {
            vm.awaitStdout("EMBER-TEST: READY echo", BOOT);
            vm.type("hello ember\n");
            vm.awaitStdout("^hello ember$", BOOT);
            vm.type("quit\n");
            assertExit(vm, 0);
            assertTrue(vm.stdout().contains("EMBER-TEST: PASS echo"), vm.describe());
        }
    }

    @Test
    void lapicTimerInterruptsAreDelivered() throws Exception {
        try (EmberProcess vm = EmberProcess.boot(TestGuests.config(dir, "timer").toString())) {
            assertExit(vm, 0);
            assertTrue(vm.stdout().contains("timer: 5 interrupts"), vm.describe());
        }
    }

    @Test
    void everyApplicationProcessorStartsFromTheMpTable() throws Exception {
        Path cfg = TestGuests.config(dir, "smp", 2, 128, "");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertExit(vm, 0);
            assertTrue(vm.stdout().contains("2 cpus listed"), vm.describe());
            assertTrue(vm.stdout().contains("cpus online: 2"), vm.describe());
            assertTrue(vm.stdout().contains("cpu: apic id 1 checked in"), vm.describe());
        }
    }

    @Test
    void bootTimerWriteIsLoggedWithTheTimeSinceStart() throws Exception {
        try (EmberProcess vm = EmberProcess.boot(TestGuests.config(dir, "boottimer").toString(), "--boot-timer")) {
            assertExit(vm, 0);
            assertTrue(vm.stdout().contains("EMBER-TEST: PASS boottimer"), vm.describe());
            vm.awaitStderr("Guest-boot-time = \\d+ us \\d+ ms, \\d+ CPU us \\d+ CPU ms", Duration.ofSeconds(5));
        }
    }

    @Test
    void i8042ResetEndsTheVmmCleanly() throws Exception {
        try (EmberProcess vm = EmberProcess.boot(TestGuests.config(dir, "reset").toString())) {
            assertExit(vm, 0);
            assertTrue(vm.stdout().contains("resetting through the i8042"), vm.describe());
            assertFalse(vm.stdout().contains("EMBER-TEST: FAIL"), vm.describe());
        }
    }

    @Test
    void acpiS5ThroughTheFadtsControlPortEndsTheVmmCleanly() throws Exception {
        try (EmberProcess vm = EmberProcess.boot(TestGuests.config(dir, "acpi-poweroff", 2, 128, "").toString())) {
            assertExit(vm, 0);
            assertTrue(vm.stdout().contains("acpi: madt cpus 2, pm1a_cnt 0x604 = 0x1, s5 slp_typ 5"), vm.describe());
            assertTrue(vm.stderr().contains("guest powered off (ACPI S5"), "ended by S5, not the exit port\n" + vm.describe());
            assertFalse(vm.stdout().contains("EMBER-TEST: FAIL"), vm.describe());
        }
    }

    @Test
    void idleGuestTicksUntilSigtermEndsTheVmmWithStatusZero() throws Exception {
        try (EmberProcess vm = EmberProcess.boot("docs/examples/idle.json")) {
            vm.awaitStdout("EMBER-TEST: READY idle", BOOT);
            vm.awaitStdout("^tick 2$", BOOT);
            assertTrue(vm.isAlive());
            vm.terminate();
            assertExit(vm, 0);
        }
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
