package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ember.it.EmberProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The Linux examples in docs/examples, booted as the README tells a user to, with a shell on the
 * console: an ext4 root on virtio-blk, and a TAP network set up with the README's host-side
 * addresses (in a private namespace here). They need guest user space: on PVM hosts they run in
 * the nested tier.
 */
@GuestUserSpace
class LinuxExamplesIT extends LinuxTest.UserSpace {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theExt4ExampleGivesAShellOnAWritableRootWhoseWritesReachTheImage() throws Exception {
        // The example as written, but on a private copy of the image: booting writes to it.
        Path image = LinuxImages.rootfsCopy(dir);
        ObjectNode cfg = (ObjectNode) JSON.readTree(EmberProcess.repo().resolve("docs/examples/linux-ext4.json").toFile());
        ((ObjectNode) cfg.withArray("drives").get(0)).put("path_on_host", image.toString());
        Path file = dir.resolve("linux-ext4.json");
        JSON.writeValue(file.toFile(), cfg);
        String token = LinuxTests.token();
        try (EmberProcess vm = EmberProcess.boot(file.toString())) {
            vm.awaitStdout("^EMBER-INIT: shell", LinuxTests.bootTimeout());
            vm.type("grep ' / ' /proc/mounts; echo " + token + " > /root/example-token; sync; reboot -f\n");
            assertEquals(0, LinuxTests.awaitExit(vm, LinuxTests.KVM_BOOT), vm.describe());
            assertTrue(vm.stdout().contains("/dev/root / ext4 rw"), "the root is the ext4 image, read-write\n" + vm.describe());
        }
        assertEquals(token, LinuxTests.readFromImage(image, "/root/example-token"), "what the guest's shell wrote, read from the image on the host");
    }

    /**
     * The vsock example with Linux's own virtio-vsock driver: the driver binds the device, and a
     * host process's {@code CONNECT} to a port nobody listens on in the guest is refused by the
     * guest kernel (its RST closes the host connection without an {@code OK}). The guest image
     * has no AF_VSOCK tool of its own, so that refusal is the guest's answer tested here.
     */
    @Test
    void theVsockExampleIsDrivenByLinuxAndAnswersAHostConnect() throws Exception {
        Path uds = Path.of("/tmp/ember-linux-vsock.sock");
        Files.deleteIfExists(uds);
        try (EmberProcess vm = EmberProcess.boot("docs/examples/linux-vsock.json")) {
            vm.awaitStdout("^EMBER-INIT: shell", LinuxTests.bootTimeout());
            vm.type("ls /sys/bus/virtio/drivers/vmw_vsock_virtio_transport | grep -q virtio && echo VSOCK-BOUND\n");
            vm.awaitStdout("^VSOCK-BOUND\r?$", LinuxTests.KVM_BOOT);
            try (java.nio.channels.SocketChannel host = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
                host.connect(java.net.UnixDomainSocketAddress.of(uds));
                host.write(java.nio.ByteBuffer.wrap("CONNECT 5000\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
                java.nio.ByteBuffer answer = java.nio.ByteBuffer.allocate(64);
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                int n = 0;
                host.configureBlocking(false);
                while (System.nanoTime() < deadline && (n = host.read(answer)) == 0) {
                    Thread.sleep(20);
                }
                String got = new String(answer.array(), 0, answer.position(), java.nio.charset.StandardCharsets.US_ASCII);
                assertEquals(-1, n, "the guest refused port 5000 and the host connection was closed; read so far: '" + got + "'\n"
                        + vm.describe());
                assertTrue(!got.startsWith("OK"), "no listener in the guest, so no OK: " + got);
            }
            vm.type("reboot -f\n");
            assertEquals(0, LinuxTests.awaitExit(vm, LinuxTests.KVM_BOOT), vm.describe());
        } finally {
            Files.deleteIfExists(uds);
        }
    }

    @Test
    void theNetworkExampleReachesTheHostSideOfItsTap() throws Exception {
        try (DhcpNetwork net = DhcpNetwork.start(dir)) {
            // The example names the TAP and addresses the README sets up on the host.
            try (EmberProcess vm = EmberProcess.startVia(net.wrapper(), "--no-api", "--config-file", "docs/examples/linux-net.json")) {
                vm.awaitStdout("^EMBER-INIT: shell", LinuxTests.bootTimeout());
                assertTrue(net.hostPings(DhcpNetwork.GUEST_IP), "the host side pings the guest\n" + vm.describe());
                vm.type("ping -c 1 -W 5 " + DhcpNetwork.HOST_IP + " && echo PING-OK; reboot -f\n");
                assertEquals(0, LinuxTests.awaitExit(vm, LinuxTests.KVM_BOOT), vm.describe());
                assertTrue(vm.stdout().contains("PING-OK"), "the guest's shell pinged the host side\n" + vm.describe());
            }
        }
    }
}
