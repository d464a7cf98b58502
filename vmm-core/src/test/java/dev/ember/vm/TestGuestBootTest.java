package dev.ember.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.arch.x86.BootEntry;
import dev.ember.arch.x86.X86Boot;
import dev.ember.bus.BusDevice;
import dev.ember.bus.WritePort;
import dev.ember.testing.TestTags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Boots the project's freestanding test guest (guest-images/out/testguest.elf, built by the
 * guest-images module) through the real loader and this Vm: long-mode entry, the in-kernel
 * LAPIC/IOAPIC, SMP start-up by INIT-SIPI-SIPI. Devices are minimal test doubles: the guest
 * only needs LSR to say "transmitter empty" and the result port 0xf4.
 */
@Tag(TestTags.NEEDS_KVM)
class TestGuestBootTest {
    private static final Duration BOOT_WAIT = Duration.ofSeconds(120);

    @BeforeEach
    void needKvm() {
        KvmTestSupport.requireKvm();
    }

    /** THR writes collected as text; LSR always "THR empty, line idle"; everything else reads 0. */
    static final class CapturingUart implements BusDevice {
        private final StringBuilder out = new StringBuilder();
        private int lcr;

        @Override
        public synchronized long read(long offset, int size) {
            return offset == 5 ? 0x60 : offset == 3 ? lcr : 0;
        }

        @Override
        public synchronized void write(long offset, int size, long value) {
            if (offset == 3) {
                lcr = (int) value & 0xFF;
            } else if (offset == 0 && (lcr & 0x80) == 0) {
                out.append((char) (value & 0xFF));
            }
        }

        synchronized String text() {
            return out.toString();
        }
    }

    private static Path testGuest() {
        String env = System.getenv("EMBER_TESTGUEST");
        Path p = env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("ember.repo", "..")).resolve("guest-images/out/testguest.elf").toAbsolutePath().normalize();
        if (!Files.isRegularFile(p)) {
            System.out.println("SKIPPED: test guest not found at " + p + " (build guest-images or set EMBER_TESTGUEST)");
            Assumptions.abort("test guest not available at " + p);
        }
        return p;
    }

    private record Result(int exitCode, String console) {}

    private static Result boot(String scenario, int vcpus) throws Exception {
        Path image = testGuest();
        try (Vm vm = Vm.create(new VmSpec(vcpus, 64L << 20, false))) {
            CapturingUart uart = new CapturingUart();
            vm.pioBus().register(0x3f8, 8, uart);
            vm.pioBus().register(0xf4, 1, new WritePort(v -> vm.requestExit((int) (v & 0xFF), "test guest result port")));
            BootEntry entry = X86Boot.load(vm.memory(), image, null, "console=ttyS0 ember.test=" + scenario, vcpus);
            vm.configureBoot(entry);
            vm.start();
            assertTrue(vm.awaitExit(BOOT_WAIT), "test guest '" + scenario + "' did not finish; console so far:\n" + uart.text());
            return new Result(vm.exitCode(), uart.text());
        }
    }

    /** Boots {@code scenario}: the VM ends with {@code exitCode} and the console holds each of {@code lines}. */
    private static void runs(String scenario, int vcpus, int exitCode, String... lines) throws Exception {
        Result r = boot(scenario, vcpus);
        for (String line : lines) {
            assertTrue(r.console.contains(line), "console should hold \"" + line + "\":\n" + r.console);
        }
        assertEquals(exitCode, r.exitCode, r.console);
    }

    @Test
    void helloScenarioRunsToItsPassLine() throws Exception {
        runs("hello", 1, 0, "Hello from the Ember test guest\n", "EMBER-TEST: PASS hello\n");
    }

    @Test
    void failScenarioExitCodeReachesTheVm() throws Exception {
        runs("fail", 1, 3, "EMBER-TEST: FAIL fail: deliberate failure");
    }

    @Test
    void smpScenarioBringsUpTheSecondVcpuThroughInitSipiSipi() throws Exception {
        runs("smp", 2, 0, "cpus online: 2\n", "cpu: apic id 1 checked in\n", "EMBER-TEST: PASS smp\n");
    }

    @Test
    void timerScenarioGetsLapicTimerInterrupts() throws Exception {
        runs("timer", 1, 0, "EMBER-TEST: PASS timer\n");
    }
}
