package dev.ember.devices.virtio.vhost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.devices.virtio.vhost.VhostUserException.Reason;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Back-ends that are absent, silent, hang up or lie: each ends in a {@link VhostUserException}
 * of its own reason, within the timeout, and a connection left in an unknown state refuses
 * further requests. The peer is a plain Unix socket server that reads each request whole and
 * answers with the bytes a test scripts.
 */
class VhostUserFrontendFailureTest {
    private static final int SHORT_TIMEOUT_MS = 300;

    @TempDir Path dir;

    /** What the peer does with each request it has read: answer bytes, or null to hang up. */
    @FunctionalInterface
    interface Script {
        byte[] answer(int request, int index);
    }

    @Test
    void aMissingSocketIsAConnectError() {
        VhostUserException e = assertThrows(VhostUserException.class,
                () -> VhostUserFrontend.connect(dir.resolve("nobody.sock"), SHORT_TIMEOUT_MS));
        assertEquals(Reason.CONNECT, e.reason());
        assertTrue(e.getMessage().contains("nobody.sock"), e.getMessage());
    }

    @Test
    void aSilentBackEndTimesOutAndTheConnectionIsThenRefused() throws Exception {
        try (Peer peer = new Peer(dir.resolve("silent.sock"), (request, index) -> new byte[0]);
                VhostUserFrontend vu = VhostUserFrontend.connect(peer.path, SHORT_TIMEOUT_MS)) {
            VhostUserException e = assertThrows(VhostUserException.class, vu::getFeatures);
            assertEquals(Reason.TIMEOUT, e.reason());
            assertTrue(e.getMessage().contains("GET_FEATURES"), e.getMessage());
            assertEquals(Reason.BROKEN, assertThrows(VhostUserException.class, vu::getFeatures).reason());
        }
    }

    @Test
    void aBackEndThatHangsUpIsClosed() throws Exception {
        try (Peer peer = new Peer(dir.resolve("hangup.sock"), (request, index) -> null);
                VhostUserFrontend vu = VhostUserFrontend.connect(peer.path, 10_000)) {
            assertEquals(Reason.CLOSED, assertThrows(VhostUserException.class, vu::getFeatures).reason());
        }
    }

    @Test
    void aReplyOfAnotherRequestOrSizeIsMalformed() throws Exception {
        try (Peer peer = new Peer(dir.resolve("wrong.sock"), (request, index) -> header(VhostUserAbi.GET_PROTOCOL_FEATURES, 8, 8));
                VhostUserFrontend vu = VhostUserFrontend.connect(peer.path, 10_000)) {
            assertEquals(Reason.MALFORMED_REPLY, assertThrows(VhostUserException.class, vu::getFeatures).reason());
        }
        // A size the protocol cannot carry is refused from the header, before any payload is read.
        try (Peer peer = new Peer(dir.resolve("huge.sock"), (request, index) -> header(request, 0x7fffffff, 0));
                VhostUserFrontend vu = VhostUserFrontend.connect(peer.path, 10_000)) {
            VhostUserException e = assertThrows(VhostUserException.class, vu::getFeatures);
            assertEquals(Reason.MALFORMED_REPLY, e.reason());
            assertTrue(e.getMessage().contains("2147483647 bytes"), e.getMessage());
        }
    }

    @Test
    void aNegativeAcknowledgementIsRefused() throws Exception {
        // The first request (SET_PROTOCOL_FEATURES with REPLY_ACK) has no reply; SET_OWNER is then acknowledged with 1.
        try (Peer peer = new Peer(dir.resolve("nack.sock"), (request, index) -> index == 0 ? new byte[0] : header(request, 8, 1));
                VhostUserFrontend vu = VhostUserFrontend.connect(peer.path, 10_000)) {
            vu.setProtocolFeatures(1L << VhostUserAbi.PROTOCOL_F_REPLY_ACK);
            VhostUserException e = assertThrows(VhostUserException.class, vu::setOwner);
            assertEquals(Reason.REFUSED, e.reason());
            assertTrue(e.getMessage().contains("SET_OWNER"), e.getMessage());
        }
    }

    /** A reply header with the reply flag and version 1, and {@code size} bytes of payload holding {@code value} (if 8). */
    private static byte[] header(int request, int size, long value) {
        ByteBuffer b = ByteBuffer.allocate(VhostUserAbi.HEADER_SIZE + (size == 8 ? 8 : 0)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(request).putInt(VhostUserAbi.VERSION | VhostUserAbi.FLAG_REPLY).putInt(size);
        if (size == 8) {
            b.putLong(value);
        }
        return b.array();
    }

    /** One connection's scripted peer on its own thread. */
    private static final class Peer implements AutoCloseable {
        final Path path;
        private final ServerSocketChannel server;
        private final CompletableFuture<Void> done;

        Peer(Path path, Script script) throws IOException {
            this.path = path;
            this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            this.done = CompletableFuture.runAsync(() -> serve(script));
        }

        private void serve(Script script) {
            try (SocketChannel c = server.accept()) {
                for (int index = 0;; index++) {
                    ByteBuffer hdr = ByteBuffer.allocate(VhostUserAbi.HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
                    while (hdr.hasRemaining()) {
                        if (c.read(hdr) < 0) {
                            return;
                        }
                    }
                    ByteBuffer payload = ByteBuffer.allocate(hdr.getInt(VhostUserAbi.HDR_SIZE));
                    while (payload.hasRemaining()) {
                        if (c.read(payload) < 0) {
                            return;
                        }
                    }
                    byte[] answer = script.answer(hdr.getInt(VhostUserAbi.HDR_REQUEST), index);
                    if (answer == null) {
                        return;
                    }
                    c.write(ByteBuffer.wrap(answer));
                }
            } catch (IOException e) {
                // the front-end closed: the script is over
            }
        }

        @Override
        public void close() throws Exception {
            server.close();
            done.get(10, TimeUnit.SECONDS);
        }
    }
}
