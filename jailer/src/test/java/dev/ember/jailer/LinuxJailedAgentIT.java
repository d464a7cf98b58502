package dev.ember.jailer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.it.HybridVsock;
import dev.ember.it.Host;
import dev.ember.it.linux.GuestUserSpace;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The orchestrator flow of issue 18 with a real Linux guest and its agent, the part that needs
 * guest user space: a jail prepared as Kata Containers prepares it (shared bind mount, kernel and
 * initrd in the jail root, a config file with Kata's {@code vsock} section, {@code uds_path
 * /kata.hvsock}), the jailer started with Kata's arguments, then the agent reached over hybrid
 * vsock through the jail ({@code <jail root>/kata.hvsock}, {@code CONNECT 1024}), the guest
 * connecting back to {@code <jail root>/kata.hvsock_7000}, and the VMM stopped by SIGTERM to
 * the PID in {@code firecracker.pid}. The "agent" is a shell behind {@code ember-vsock listen 1024}
 * (guest-images/rootfs/ember-vsock.c), started by the guest's init from the kernel command line.
 */
@GuestUserSpace
class LinuxJailedAgentIT {
    private static final Duration BOOT = Duration.ofMinutes(6);

    @RegisterExtension
    final JailHarness.HostTraces traces = JailHarness.HostTraces.inTempDirectory("ember-jailed-agent-it");
    private final Path base = traces.base();
    private final String id = JailHarness.vmId("kata");

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(Host.slowTestsEnabled(), "Linux boot tests are slow: enable them with -Dember.slow=true (bin/test does)");
        assumeTrue(Host.hasKvm(), Host::noKvmReason);
        assumeFalse(Host.isPvm(), "PVM (/sys/module/kvm_pvm) cannot run guest user space; bin/test runs this test in the nested tier");
        assumeTrue(JailHarness.isRoot(), "the jailer needs root");
    }

    @Test
    void anOrchestratorReachesItsAgentOverVsockThroughTheJail() throws Exception {
        Path root = Files.createDirectories(base.resolve("ember").resolve(id).resolve("root"));
        traces.bindMount(root, root);
        assertEquals(0, JailHarness.sh("mount", "--make-shared", root.toString()));
        Path images = JailHarness.repo().resolve("guest-images/out");
        Files.copy(images.resolve("vmlinux"), root.resolve("vmlinux"));
        Files.copy(images.resolve("initramfs.cpio"), root.resolve("initramfs.cpio"));
        Files.writeString(root.resolve("fcConfig.json"), "{\"boot-source\": {\"kernel_image_path\": \"/vmlinux\","
                + " \"initrd_path\": \"/initramfs.cpio\","
                + " \"boot_args\": \"console=ttyS0 reboot=k panic=1 ember.cmd=\\\"ember-vsock listen 1024 sh\\\"\"},"
                + " \"machine-config\": {\"vcpu_count\": 2, \"mem_size_mib\": 256, \"smt\": false},"
                + " \"vsock\": {\"guest_cid\": 3, \"uds_path\": \"/kata.hvsock\"}}");
        List<String> jailer = List.of("--id", id, "--exec-file", JailHarness.repo().resolve("bin/ember").toString(),
                "--uid", "0", "--gid", "0", "--chroot-base-dir", base.toString());

        try (ServerSocketChannel hostListener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             JailHarness.Jailed vm = JailHarness.startVmm(jailer, List.of("--config-file", "/fcConfig.json"))) {
            hostListener.bind(UnixDomainSocketAddress.of(root.resolve("kata.hvsock_7000")));
            StringBuilder console = new StringBuilder();
            long deadline = System.nanoTime() + BOOT.toNanos();
            while (!console.toString().contains("ember-vsock: listening on 1024")) {
                assertTrue(System.nanoTime() < deadline, "the agent never listened\n--- console ---\n" + console);
                console.append(vm.line(BOOT)).append('\n');
            }
            long pid = Long.parseLong(Files.readString(root.resolve("firecracker.pid")).trim());
            assertTrue(Files.isSameFile(Path.of("/proc/" + pid + "/root"), root), "firecracker.pid names the jailed VMM");
            assertEquals("2", JailHarness.status(pid, "Seccomp"), "the jailed VMM runs under its seccomp filter");

            try (SocketChannel agent = HybridVsock.connect(root.resolve("kata.hvsock"), 1024)) {
                send(agent, "echo AGENT-$((6*7)) $(nproc)\n");
                assertEquals("AGENT-42 2", HybridVsock.readLine(agent), "the agent ran a command in the guest");

                // The guest connects to the host: the VMM, chrooted, connects to /kata.hvsock_7000.
                CompletableFuture<String> fromGuest = CompletableFuture.supplyAsync(() -> {
                    try (SocketChannel c = hostListener.accept()) {
                        String line = HybridVsock.readLine(c);
                        send(c, "hello guest\n");
                        return line;
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                send(agent, "echo hello-from-the-guest | ember-vsock connect 2 7000; echo RC-$?\n");
                assertEquals("hello-from-the-guest", fromGuest.get(2, TimeUnit.MINUTES));
                assertEquals("hello guest", HybridVsock.readLine(agent), "the host's answer reached the guest");
                assertEquals("RC-0", HybridVsock.readLine(agent));
            }

            // Kata stops the VMM with SIGTERM to the PID it read from firecracker.pid.
            assertEquals(0, JailHarness.sh("kill", "-TERM", Long.toString(pid)));
            assertTrue(vm.process.waitFor(60, TimeUnit.SECONDS), "the VMM did not end on SIGTERM\n" + vm.stderr);
            assertEquals(0, vm.process.exitValue(), vm.stderr.toString());
        }
    }

    private static void send(SocketChannel c, String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
        while (b.hasRemaining()) {
            c.write(b);
        }
    }
}
