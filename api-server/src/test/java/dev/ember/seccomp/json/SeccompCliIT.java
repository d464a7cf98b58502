package dev.ember.seccomp.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.it.EmberProcess;
import dev.ember.it.Host;
import dev.ember.it.TestGuests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ember process under its seccomp filter: --seccomp-filter, --no-seccomp and the built-in one. */
class SeccompCliIT {
    private static final Duration BOOT = Duration.ofSeconds(60);
    private static final int SIGSYS = 31;

    @TempDir
    Path dir;

    @BeforeEach
    void needsKvm() {
        assumeTrue(Host.hasKvm(), "no usable /dev/kvm on this host");
    }

    private static String status(long pid, String field) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith(field + ":"))
                .map(l -> l.substring(field.length() + 1).trim()).findFirst().orElse("(none)");
    }

    @Test
    void theBuiltInFilterIsOnEveryThreadWhileTheGuestRunsAndSigtermStillEndsTheVmm() throws Exception {
        try (EmberProcess vm = EmberProcess.boot(TestGuests.config(dir, "idle").toString())) {
            vm.awaitStdout("tick 2", BOOT);
            assertEquals("2", status(vm.pid(), "Seccomp"), vm.describe());
            assertEquals("1", status(vm.pid(), "NoNewPrivs"), vm.describe());
            try (var tasks = Files.list(Path.of("/proc/" + vm.pid() + "/task"))) {
                for (Path t : (Iterable<Path>) tasks::iterator) {
                    String s = Files.readString(t.resolve("status"));
                    assertTrue(s.contains("Seccomp:\t2"), t + " is not filtered");
                }
            }
            assertTrue(vm.stderr().contains("seccomp filter installed on all threads"), vm.describe());
            vm.terminate();
            assertEquals(0, vm.awaitExit(BOOT), vm.describe());
        }
    }

    @Test
    void aFilterThatForbidsCreatingTheVmKillsTheProcessWithSigsys() throws Exception {
        Path filter = Files.writeString(dir.resolve("no-create-vm.json"), """
                {"default_action": "allow", "filter_action": "kill_process", "filter": [
                  {"syscall": "ioctl", "args": [{"arg_index": 1, "arg_type": "dword", "op": "eq", "val": 44545, "comment": "KVM_CREATE_VM"}]}
                ]}""");
        try (EmberProcess vm = EmberProcess.boot(TestGuests.config(dir, "hello").toString(), "--seccomp-filter", filter.toString())) {
            assertEquals(128 + SIGSYS, vm.awaitExit(BOOT), vm.describe());
            assertFalse(vm.stdout().contains("Hello"), vm.describe());
        }
    }

    @Test
    void noSeccompLeavesTheProcessUnfiltered() throws Exception {
        try (EmberProcess vm = EmberProcess.boot(TestGuests.config(dir, "idle").toString(), "--no-seccomp")) {
            vm.awaitStdout("tick 1", BOOT);
            assertEquals("0", status(vm.pid(), "Seccomp"), vm.describe());
            vm.terminate();
            assertEquals(0, vm.awaitExit(BOOT), vm.describe());
        }
    }

    @Test
    void aMissingOrBadFilterFileIsNamed() throws Exception {
        Path missing = dir.resolve("missing.json");
        try (EmberProcess vm = EmberProcess.boot(TestGuests.config(dir, "hello").toString(), "--seccomp-filter", missing.toString())) {
            assertEquals(152, vm.awaitExit(BOOT), vm.describe());
            assertTrue(vm.stderr().contains("ember: --seccomp-filter " + missing + ": no such file"), vm.describe());
        }
        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"default_action\": \"allow\", \"filter_action\": \"allow\", \"filter\": [{\"syscall\": \"nope\"}]}");
        try (EmberProcess vm = EmberProcess.boot(TestGuests.config(dir, "hello").toString(), "--seccomp-filter", bad.toString())) {
            assertEquals(152, vm.awaitExit(BOOT), vm.describe());
            assertTrue(vm.stderr().contains("ember: " + bad + ": filter[0].syscall: unknown x86_64 system call \"nope\""), vm.describe());
            assertFalse(vm.stderr().contains("\tat "), vm.describe());
        }
    }
}
