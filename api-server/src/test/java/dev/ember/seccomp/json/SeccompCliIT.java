package dev.ember.seccomp.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.it.EmberProcess;
import dev.ember.it.NeedsKvm;
import dev.ember.it.TestGuests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ember process under its seccomp filter: --seccomp-filter, --no-seccomp and the built-in one. */
@NeedsKvm
class SeccompCliIT {
    private static final Duration BOOT = Duration.ofSeconds(60);
    private static final int SIGSYS = 31;

    @TempDir
    Path dir;

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
                    String s;
                    try {
                        s = Files.readString(t.resolve("status"));
                    } catch (IOException ended) {
                        continue; // a JIT compiler thread retired between the listing and the read, as in filtersByThread
                    }
                    assertTrue(s.contains("Seccomp:\t2"), t + " is not filtered");
                }
            }
            assertTrue(vm.stderr().contains("seccomp filter installed on all threads"), vm.describe());
            vm.terminate();
            assertEquals(0, vm.awaitExit(BOOT), vm.describe());
        }
    }

    /** Thread name (comm) → its /proc status "Seccomp_filters" count, for every thread of {@code pid}. */
    private static java.util.Map<String, String> filtersByThread(long pid) throws IOException {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                String comm;
                String filters;
                try {
                    comm = Files.readString(t.resolve("comm")).trim();
                    filters = Files.readAllLines(t.resolve("status")).stream().filter(l -> l.startsWith("Seccomp_filters:"))
                            .map(l -> l.substring("Seccomp_filters:".length()).trim()).findFirst().orElse("(none)");
                } catch (IOException ended) {
                    // A short-lived thread (a JIT compiler added and retired) ended meanwhile: ENOENT
                    // or ESRCH. The threads asserted on below are long-lived; were one skipped, its
                    // assertion fails on a missing entry.
                    continue;
                }
                out.merge(comm, filters, (a, b) -> a.equals(b) ? a : a + "," + b);
            }
        }
        return out;
    }

    /**
     * Firecracker's per-thread filters: vCPU threads and the API's HTTP threads carry their own
     * filter on top of the process-wide one; the request thread, the event loop and the JVM's
     * threads carry the process-wide one only (Linux counts a thread's filters in Seccomp_filters).
     */
    @Test
    void vcpuAndApiThreadsCarryTheirOwnFilterOnTopOfTheProcessWideOne() throws Exception {
        // Configured and started through the API only: the request thread that creates the VM
        // must not have been started by an api-filtered thread.
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.start("--api-sock", sock.toString())) {
            var http = vm.api(sock);
            assertEquals(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + TestGuests.image()
                    + "\", \"boot_args\": \"console=ttyS0 ember.test=idle\"}").status(), vm.describe());
            assertEquals(204, http.put("/machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": 128}").status(), vm.describe());
            assertEquals(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}").status(), vm.describe());
            vm.awaitStdout("tick 2", BOOT);
            assertEquals(200, vm.api(sock).get("/").status(), vm.describe());
            java.util.Map<String, String> filters = filtersByThread(vm.pid());
            assertEquals("2", filters.get("fc_vcpu 0"), filters.toString());
            assertEquals("2", filters.get("fc_vcpu 1"), filters.toString());
            // One HTTP thread: the I/O thread selects on the socket itself (no "ember-api" poller thread).
            assertEquals(null, filters.get("ember-api"), filters.toString());
            assertEquals("2", filters.get("ember-api-io"), filters.toString());
            for (String vmmThread : List.of("ember-vmm-ctl", "vmm", "vm-exit-waiter", "VM Thread")) {
                assertEquals("1", filters.get(vmmThread), vmmThread + " " + filters);
            }
            vm.terminate();
            assertEquals(0, vm.awaitExit(BOOT), vm.describe());
        }
    }

    /**
     * A custom file in Firecracker's per-thread shape: its vcpu filter forbids write(2), which the
     * vCPU thread makes when the guest writes to the serial port (Serial8250 on the vCPU's exit
     * path), so the guest's first line kills the process with SIGSYS; the vmm filter alone lets it pass.
     */
    @Test
    void aCustomVcpuFilterStopsTheVcpusSerialWriteAndKillsTheProcess() throws Exception {
        String allowAll = "{\"default_action\": \"allow\", \"filter_action\": \"allow\", \"filter\": []}";
        String noWrite = "{\"default_action\": \"allow\", \"filter_action\": \"kill_process\", \"filter\": [{\"syscall\": \"write\"}]}";
        Path perThread = Files.writeString(dir.resolve("per-thread.json"),
                "{\"vmm\": " + allowAll + ", \"api\": " + allowAll + ", \"vcpu\": " + noWrite + "}");
        try (EmberProcess vm = EmberProcess.boot(TestGuests.config(dir, "hello").toString(), "--seccomp-filter", perThread.toString())) {
            assertEquals(128 + SIGSYS, vm.awaitExit(BOOT), vm.describe());
            assertFalse(vm.stdout().contains("Hello"), vm.describe());
        }
        Path vmmOnly = Files.writeString(dir.resolve("vmm-only.json"), "{\"vmm\": " + allowAll + "}");
        try (EmberProcess vm = EmberProcess.boot(TestGuests.config(dir, "hello").toString(), "--seccomp-filter", vmmOnly.toString())) {
            assertEquals(0, vm.awaitExit(BOOT), vm.describe());
            assertTrue(vm.stdout().contains("Hello"), vm.describe());
        }
    }

    /** --no-seccomp leaves every thread unfiltered, the per-thread ones too. */
    @Test
    void noSeccompLeavesVcpuAndApiThreadsUnfilteredToo() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.start("--api-sock", sock.toString(), "--no-seccomp", "--config-file",
                TestGuests.config(dir, "idle").toString())) {
            vm.awaitStdout("tick 1", BOOT);
            assertEquals(200, vm.api(sock).get("/").status(), vm.describe());
            java.util.Map<String, String> filters = filtersByThread(vm.pid());
            assertTrue(filters.values().stream().allMatch("0"::equals), filters.toString());
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
