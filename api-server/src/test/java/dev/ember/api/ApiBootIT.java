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
            Matcher last = vm.awaitStdout("tick (\\d+)\\n(?![\\s\\S]*tick)", BOOT);
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
     * No KVM VM while the process only answers GET /; the one built once configuration began
     * (the first PUT) is the one InstanceStart uses (the same single kvm-vm descriptor before and
     * after it), and machine-config sent after it was built shapes the guest: 2 vCPUs, 128 MiB.
     */
    @Test
    void instanceStartUsesTheVmBuiltOnceConfigurationBeganWithTheConfigurationSentAfterIt() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.start("--api-sock", sock.toString(), "--level", "Debug")) {
            UnixHttpClient http = vm.api(sock);
            assertEquals("Not started", http.instanceState());
            assertEquals(java.util.List.of(), kvmVmDescriptors(vm.pid()), "no KVM VM before configuration begins");
            assertEquals(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + TestGuests.image()
                    + "\", \"boot_args\": \"console=ttyS0 ember.test=smp\"}").status());
            vm.awaitStderr("KVM VM \\(irqchip, PIT\\) built ahead", BOOT);
            java.util.List<String> ahead = kvmVmDescriptors(vm.pid());
            assertEquals(1, ahead.size(), "one KVM VM built ahead: " + ahead + "\n" + vm.describe());
            assertEquals(204, http.put("/machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": 128}").status());
            assertEquals(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}").status());
            assertEquals(ahead, kvmVmDescriptors(vm.pid()), "InstanceStart made no second KVM VM\n" + vm.describe());
            assertEquals(0, vm.awaitExit(BOOT), vm.describe());
            assertTrue(vm.stdout().contains("cpus online: 2"), vm.describe());
            assertTrue(vm.stderr().contains("created VM: 2 vCPU(s), 128 MiB"), vm.describe());
            assertTrue(vm.stderr().contains("the start takes the KVM VM built ahead"), vm.describe());
        }
    }

    /** "fd -> anon_inode:kvm-vm" for each KVM VM descriptor the process holds. */
    private static java.util.List<String> kvmVmDescriptors(long pid) throws java.io.IOException {
        java.util.List<String> vms = new java.util.ArrayList<>();
        try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds.sorted().toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.endsWith("kvm-vm")) {
                        vms.add(fd.getFileName() + " -> " + target);
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // closed while listed
                }
            }
        }
        return vms;
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
