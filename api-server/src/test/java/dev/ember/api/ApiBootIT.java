package dev.ember.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.it.EmberProcess;
import dev.ember.it.NeedsKvm;
import dev.ember.it.TestGuests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real VM configured and driven through the API socket of a bin/ember process. */
@NeedsKvm
class ApiBootIT {
    private static final Duration BOOT = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    @Test
    void bootPauseResumeAndStopThroughTheApi() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.start("--api-sock", sock.toString(), "--id", "api-it")) {
            UnixHttpClient http = vm.api(sock);
            assertEquals("Not started", http.instanceState());
            assertEquals(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + TestGuests.image()
                    + "\", \"boot_args\": \"console=ttyS0 ember.test=idle\"}").status());
            assertEquals(204, http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 64}").status());
            assertEquals(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}").status());
            assertEquals("Running", http.instanceState());
            vm.awaitStdout("tick 1", BOOT);

            assertEquals(204, http.patch("/vm", "{\"state\": \"Paused\"}").status());
            assertEquals("Paused", http.instanceState());
            // The last whole tick: a pause can stop the vCPU between two bytes of a line, leaving "tick N" unfinished.
            Matcher last = vm.awaitStdout("tick (\\d+)\\n(?![\\s\\S]*tick \\d+\\n)", BOOT);
            int pausedAt = Integer.parseInt(last.group(1));
            assertEquals(204, http.patch("/vm", "{\"state\": \"Resumed\"}").status());
            assertEquals("Running", http.instanceState());
            vm.awaitStdout("tick " + (pausedAt + 1) + "\\n", BOOT);

            UnixHttpClient.Response refused = http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 64}");
            assertEquals(400, refused.status());
            assertTrue(refused.body().contains("not supported after starting the microVM"), refused.body());

            vm.terminate();
            assertEquals(0, vm.awaitExit(BOOT), vm.describe());
            assertFalse(Files.exists(sock), "API socket removed\n" + vm.describe());
        }
    }

    /**
     * No KVM VM while the process only answers GET /; once configuration begins the boot is built
     * ahead (VM, vCPUs, kernel loaded), and a machine-config sent after that build gets a new one:
     * the first is closed (one KVM VM, two vCPU descriptors), InstanceStart makes none, and the
     * guest counts the two CPUs it was given.
     */
    @Test
    void aMachineConfigSentAfterTheBootWasBuiltAheadGivesTheGuestItsVcpus() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.start("--api-sock", sock.toString(), "--level", "Debug")) {
            UnixHttpClient http = vm.api(sock);
            assertEquals("Not started", http.instanceState());
            assertEquals(java.util.List.of(), kvmDescriptors(vm.pid(), "kvm-vm"), "no KVM VM before configuration begins");
            assertEquals(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + TestGuests.image()
                    + "\", \"boot_args\": \"console=ttyS0 ember.test=smp\"}").status());
            vm.awaitStderr("microVM built ahead of InstanceStart in \\d+ us: 1 vCPU\\(s\\), 128 MiB, kernel \\S+ loaded", BOOT);
            assertEquals(204, http.put("/machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": 128}").status());
            vm.awaitStderr("microVM built ahead of InstanceStart in \\d+ us: 2 vCPU\\(s\\), 128 MiB, kernel \\S+ loaded", BOOT);
            java.util.List<String> ahead = kvmDescriptors(vm.pid(), "kvm-vm");
            assertEquals(1, ahead.size(), "the first VM built ahead was closed: " + ahead + "\n" + vm.describe());
            assertEquals(2, kvmDescriptors(vm.pid(), "kvm-vcpu").size(), vm.describe());
            assertEquals(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}").status());
            assertEquals(0, vm.awaitExit(BOOT), vm.describe());
            assertTrue(vm.stdout().contains("cpus online: 2"), vm.describe());
            // That InstanceStart made no second KVM VM is in its log line: its descriptors cannot be
            // counted after it, as the guest may already have ended the VMM.
            assertTrue(vm.stderr().contains("InstanceStart takes the microVM built ahead"), vm.describe());
        }
    }

    /**
     * The memory size changed after the boot was built ahead: the guest's e820 map (written into
     * the new VM's memory) ends RAM at the new size, and the guest ran from that memory.
     */
    @Test
    void aMemorySizeSentAfterTheBootWasBuiltAheadIsTheGuestsRam() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.start("--api-sock", sock.toString(), "--level", "Debug")) {
            UnixHttpClient http = vm.api(sock);
            assertEquals(204, http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 64}").status());
            assertEquals(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + TestGuests.image()
                    + "\", \"boot_args\": \"console=ttyS0 ember.test=bootinfo\"}").status());
            vm.awaitStderr("microVM built ahead of InstanceStart in \\d+ us: 1 vCPU\\(s\\), 64 MiB, kernel \\S+ loaded", BOOT);
            assertEquals(204, http.patch("/machine-config", "{\"mem_size_mib\": 256}").status());
            vm.awaitStderr("microVM built ahead of InstanceStart in \\d+ us: 1 vCPU\\(s\\), 256 MiB, kernel \\S+ loaded", BOOT);
            assertEquals(1, kvmDescriptors(vm.pid(), "kvm-vm").size(), vm.describe());
            assertEquals(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}").status());
            assertEquals(0, vm.awaitExit(BOOT), vm.describe());
            assertTrue(vm.stdout().contains("e820: 0x100000 0x10000000 1"), "RAM from 1 MiB to 256 MiB\n" + vm.describe());
            assertFalse(vm.stdout().contains("0x4000000 1"), "nothing of the 64 MiB layout\n" + vm.describe());
            assertTrue(vm.stderr().contains("InstanceStart takes the microVM built ahead"), vm.describe());
        }
    }

    /** "fd -> anon_inode:kvm-vm" (or kvm-vcpu:N) for each KVM descriptor of {@code kind} the process holds. */
    private static java.util.List<String> kvmDescriptors(long pid, String kind) throws java.io.IOException {
        java.util.List<String> found = new java.util.ArrayList<>();
        try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds.sorted().toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.endsWith(kind) || target.contains(kind + ":")) {
                        found.add(fd.getFileName() + " -> " + target);
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // closed while listed
                }
            }
        }
        return found;
    }

    @Test
    void aBadKernelFailsInstanceStartAndTheApiStaysUsable() throws Exception {
        Path sock = dir.resolve("api.sock");
        Path bogus = Files.write(dir.resolve("bogus.bin"), new byte[8192]);
        try (EmberProcess vm = EmberProcess.start("--api-sock", sock.toString())) {
            UnixHttpClient http = vm.api(sock);
            assertEquals(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + bogus + "\"}").status());
            UnixHttpClient.Response start = http.put("/actions", "{\"action_type\": \"InstanceStart\"}");
            assertEquals(400, start.status(), start.body());
            assertTrue(start.body().contains("bogus.bin"), start.body());
            assertEquals("Not started", http.instanceState());
            // A corrected boot source then boots.
            assertEquals(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + TestGuests.image()
                    + "\", \"boot_args\": \"console=ttyS0 ember.test=hello\"}").status());
            assertEquals(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}").status());
            assertEquals(0, vm.awaitExit(BOOT), vm.describe());
            assertTrue(vm.stdout().contains("EMBER-TEST: PASS hello"), vm.describe());
        }
    }

    /**
     * The jailed-VM case: a file-descriptor limit below the connection limit. The API
     * takes no more connections than the limit leaves room for with fds kept for the rest of the
     * VMM (said once at start), so held idle connections never fill the fd table: a new one
     * replaces the quietest idle one, and the VMM's own opens (libc's binding right after the API
     * serves, drives at InstanceStart) still succeed. Before, accept ran into EMFILE and made room
     * one fd at a time, and a binding that happened meanwhile failed: the full IT run of 12:35
     * saw the GET reset.
     */
    @Test
    void getIsAnsweredWhenIdleConnectionsUseUpTheFdLimit() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.startVia(java.util.List.of("prlimit", "--nofile=96"), "--api-sock", sock.toString())) {
            UnixHttpClient http = vm.api(sock);
            java.util.List<java.nio.channels.SocketChannel> held = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 300; i++) {
                    java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX);
                    ch.connect(java.net.UnixDomainSocketAddress.of(sock));
                    held.add(ch);
                }
                assertEquals("Not started", http.instanceState(), vm.describe());
                assertEquals(200, http.get("/").status());
            } finally {
                for (java.nio.channels.SocketChannel ch : held) {
                    ch.close();
                }
            }
            vm.terminate();
            assertEquals(0, vm.awaitExit(BOOT), vm.describe());
            long acceptFailures = vm.stderr().lines().filter(l -> l.contains("accept on the API socket failed")).count();
            assertEquals(0, acceptFailures, "the fd table never filled up\n" + vm.describe());
            assertFalse(vm.stderr().contains("Too many open files"), vm.describe());
            assertTrue(vm.stderr().contains("API connections limited to "), vm.describe());
            assertTrue(vm.stderr().contains("API connection limit ("), "the lowered limit is the one applied\n" + vm.describe());
        }
    }
}
