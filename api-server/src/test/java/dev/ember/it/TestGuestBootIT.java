package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots the freestanding test guest through the real {@code bin/ember} process and checks what
 * the guest printed on its serial console and the process's exit status.
 */
class TestGuestBootIT {
    private static final Duration BOOT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @BeforeEach
    void needsKvm() {
        assumeTrue(Host.hasKvm(), "no usable /dev/kvm on this host");
    }

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
    void idleGuestTicksUntilSigtermEndsTheVmmWithStatusZero() throws Exception {
        try (EmberProcess vm = EmberProcess.boot("docs/examples/idle.json")) {
            vm.awaitStdout("EMBER-TEST: READY idle", BOOT);
            vm.awaitStdout("^tick 2$", BOOT);
            assertTrue(vm.isAlive());
            vm.terminate();
            assertExit(vm, 0);
        }
    }
}
