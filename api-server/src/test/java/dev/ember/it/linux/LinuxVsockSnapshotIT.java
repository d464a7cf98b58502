package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.ember.api.UnixHttpClient;
import dev.ember.it.EmberProcess;
import dev.ember.it.HybridVsock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * vsock across a snapshot with Linux's own driver: the loaded VM sends
 * VIRTIO_VSOCK_EVENT_TRANSPORT_RESET, so the guest drops the connection it had (its echo process
 * sees the reset), keeps its listener, and both directions work again on the new uds_path
 * ({@code vsock_override}), as with Firecracker.
 */
@GuestUserSpace
class LinuxVsockSnapshotIT extends LinuxTest.UserSpace {
    private static final Duration STEP = Duration.ofMinutes(3);

    @Test
    void theGuestDropsItsConnectionOnTheResetAndKeepsListeningAfterLoad() throws Exception {
        Path snap = dir.resolve("vsock.snap");
        Path mem = dir.resolve("vsock.mem");
        Path udsBefore = dir.resolve("before.vsock");
        Path udsAfter = dir.resolve("after.vsock");
        try (EmberProcess first = EmberProcess.start("--api-sock", dir.resolve("a.sock").toString(), "--id", "linux-vsock-a")) {
            UnixHttpClient http = first.api(dir.resolve("a.sock"));
            expect(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + LinuxImages.vmlinux() + "\", \"initrd_path\": \""
                    + LinuxImages.initramfs() + "\", \"boot_args\": \"" + LinuxImages.BASE_CMDLINE + "\"}"), "boot-source");
            expect(204, http.put("/machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": 128}"), "machine-config");
            expect(204, http.put("/vsock", "{\"guest_cid\": 3, \"uds_path\": \"" + udsBefore + "\"}"), "vsock");
            expect(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}"), "InstanceStart");
            first.awaitStdout("EMBER-INIT: shell", LinuxTests.bootTimeout());
            first.type("ember-vsock listen 5000 &\n");
            first.awaitStdout("ember-vsock: listening on 5000\r?$", STEP);
            // A connection open across the snapshot: its echo process in the guest waits in read().
            SocketChannel open = HybridVsock.connect(udsBefore, 5000);
            assertEquals("before", echo(open, "before"));
            expect(204, http.patch("/vm", "{\"state\": \"Paused\"}"), "pause");
            expect(204, http.put("/snapshot/create", "{\"snapshot_path\": \"" + snap + "\", \"mem_file_path\": \"" + mem + "\"}"),
                    "create");
            first.terminate();
            first.awaitExit(STEP);
            open.close();
        }
        try (EmberProcess second = EmberProcess.start("--api-sock", dir.resolve("b.sock").toString(), "--id", "linux-vsock-b");
                ServerSocketChannel hostListener = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            hostListener.bind(java.net.UnixDomainSocketAddress.of(udsAfter + "_6000"));
            UnixHttpClient http = second.api(dir.resolve("b.sock"));
            expect(204, http.put("/snapshot/load", "{\"snapshot_path\": \"" + snap + "\", \"mem_backend\": {\"backend_type\": \"File\","
                    + " \"backend_path\": \"" + mem + "\"}, \"vsock_override\": {\"uds_path\": \"" + udsAfter + "\"},"
                    + " \"resume_vm\": true}"), "load with vsock_override");
            // The reset event reached Linux's driver: the echo process of the old connection failed.
            second.awaitStdout("ember-vsock: read from the connection: Connection reset by peer", STEP);
            // The listener survived: a new host connection is echoed.
            try (SocketChannel again = HybridVsock.connect(udsAfter, 5000, 3)) {
                assertEquals("after", echo(again, "after"));
            } catch (IOException e) {
                throw new AssertionError("a host CONNECT to the restored guest's listener: " + e + "\n" + second.describe(), e);
            }
            // And the guest reaches the host through the new path.
            second.type("echo from-the-restored-guest | ember-vsock connect 2 6000\n");
            try (SocketChannel fromGuest = hostListener.accept()) {
                assertEquals("from-the-restored-guest", HybridVsock.readLine(fromGuest));
            }
            assertFalse(second.stdout().contains("EMBER-INIT: up"), "the guest carried on, it did not boot again\n" + second.describe());
            second.terminate();
            assertEquals(0, second.awaitExit(STEP), second.describe());
        }
    }

    private static String echo(SocketChannel c, String text) throws Exception {
        c.write(ByteBuffer.wrap((text + "\n").getBytes(StandardCharsets.US_ASCII)));
        return HybridVsock.readLine(c);
    }
}
