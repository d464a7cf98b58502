package dev.ember.devices.virtio;

import static dev.ember.testing.SocketLines.readExactly;
import static dev.ember.testing.SocketLines.readLine;
import static dev.ember.devices.virtio.VsockGuest.GUEST_CID;
import static dev.ember.devices.virtio.vsock.VsockPacket.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.ember.devices.virtio.VsockGuest.Packet;
import dev.ember.devices.virtio.vsock.VirtioVsock;
import dev.ember.devices.virtio.vsock.VsockException;
import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;
import dev.ember.metrics.Metrics;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * virtio-vsock on real guest memory, driven by {@link VsockGuest} playing the guest driver, with
 * real Unix sockets on the host side: both connection directions, data and credit both ways,
 * RST for a missing listener, hostile headers.
 */
@ExtendWith(GuestMemoryAndLoop.class)
class VirtioVsockTest {
    static GuestMemory mem;
    static EventLoop loop;
    static Thread loopThread;
    static final int GUEST_PORT = 1234;
    static final int BIG_CREDIT = 1 << 20;

    @TempDir Path dir;
    Path uds;
    VirtioVsock dev;
    VsockGuest g;

    @BeforeEach
    void up() {
        uds = dir.resolve("v.sock");
        dev = new VirtioVsock(GUEST_CID, uds.toString());
        g = new VsockGuest(mem, loop, dev);
    }

    @AfterEach
    void down() {
        g.close();
    }

    private ServerSocketChannel hostListener(int port) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(uds + "_" + port));
        return s;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static void write(SocketChannel c, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    /** Guest connects to host port {@code port}; returns the host's accepted socket. */
    private SocketChannel guestConnect(ServerSocketChannel listener, int port, int credit) throws IOException {
        g.send(OP_REQUEST, GUEST_PORT, port, 0, credit, 0, null, false);
        Packet p = g.recv();
        assertEquals(OP_RESPONSE, p.op(), "the device accepts the connection");
        assertEquals(HOST_CID, p.srcCid());
        assertEquals(GUEST_CID, p.dstCid());
        assertEquals(port, p.srcPort());
        assertEquals(GUEST_PORT, p.dstPort());
        assertEquals(TYPE_STREAM, p.type());
        return listener.accept();
    }

    @Test
    void guestConnectsToHostListenerAndDataFlowsBothWays() throws Exception {
        try (ServerSocketChannel l = hostListener(5000); SocketChannel host = guestConnect(l, 5000, BIG_CREDIT)) {
            g.send(OP_RW, GUEST_PORT, 5000, 0, BIG_CREDIT, 0, bytes("hello host"), false);
            g.send(OP_RW, GUEST_PORT, 5000, 0, BIG_CREDIT, 0, bytes(" (split)"), true);
            assertEquals("hello host (split)", new String(readExactly(host, 18), StandardCharsets.US_ASCII));

            write(host, bytes("hello guest"));
            Packet p = g.recv();
            assertEquals(OP_RW, p.op());
            assertEquals("hello guest", new String(p.data(), StandardCharsets.US_ASCII));
            assertEquals(18, p.fwdCnt(), "fwd_cnt counts what the host socket took");

            // Guest closes: the host sees end of stream, the guest's close is answered with RST.
            g.send(OP_SHUTDOWN, GUEST_PORT, 5000, SHUTDOWN_RCV | SHUTDOWN_SEND, BIG_CREDIT, 11, null, false);
            assertEquals(OP_RST, g.recv().op());
            assertEquals(-1, host.read(ByteBuffer.allocate(1)), "host sees end of stream");
            assertEquals(0, dev.connections());
        }
    }

    @Test
    void hostConnectsWithConnectLineAndGetsOkWithItsPort() throws Exception {
        try (SocketChannel host = SocketChannel.open(UnixDomainSocketAddress.of(uds))) {
            write(host, bytes("CONNECT 52\n"));
            Packet req = g.recv();
            assertEquals(OP_REQUEST, req.op());
            assertEquals(52, req.dstPort());
            int local = req.srcPort();
            assertTrue(Integer.toUnsignedLong(local) >= 1L << 30, "host-side ports come from the VMM's own range");
            g.send(OP_RESPONSE, 52, local, 0, BIG_CREDIT, 0, null, false);
            assertEquals("OK " + Integer.toUnsignedString(local), readLine(host));

            write(host, bytes("ping"));
            Packet p = g.recv();
            assertEquals(OP_RW, p.op());
            assertEquals("ping", new String(p.data(), StandardCharsets.US_ASCII));
            g.send(OP_RW, 52, local, 0, BIG_CREDIT, 4, bytes("pong"), false);
            assertEquals("pong", new String(readExactly(host, 4), StandardCharsets.US_ASCII));

            // Host half-closes: the guest hears SHUTDOWN(SEND) and can still send.
            host.shutdownOutput();
            Packet s = g.recv();
            assertEquals(OP_SHUTDOWN, s.op());
            assertEquals(SHUTDOWN_SEND, s.flags() & (SHUTDOWN_SEND | SHUTDOWN_RCV));
            g.send(OP_RW, 52, local, 0, BIG_CREDIT, 4, bytes("after"), false);
            assertEquals("after", new String(readExactly(host, 5), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void guestRefusalClosesTheHostConnection() throws Exception {
        try (SocketChannel host = SocketChannel.open(UnixDomainSocketAddress.of(uds))) {
            write(host, bytes("CONNECT 99\n"));
            Packet req = g.recv();
            g.send(OP_RST, 99, req.srcPort(), 0, 0, 0, null, false);
            assertEquals(-1, host.read(ByteBuffer.allocate(16)), "no listener in the guest: the host connection ends without OK");
        }
    }

    @Test
    void guestThatNeverAnswersIsTimedOut() throws Exception {
        try (SocketChannel host = SocketChannel.open(UnixDomainSocketAddress.of(uds));
                SocketChannel silent = SocketChannel.open(UnixDomainSocketAddress.of(uds))) {
            write(host, bytes("CONNECT 77\n"));
            Packet req = g.recv();
            assertEquals(OP_REQUEST, req.op());
            // No RESPONSE: after the answer timeout the host connection ends and the guest gets RST.
            assertTrue(closedByPeer(host), "the host connection ends");
            Packet rst = g.recv();
            assertEquals(OP_RST, rst.op());
            assertEquals(req.srcPort(), rst.srcPort());
            // A host process that never sends its CONNECT line is dropped too.
            assertTrue(closedByPeer(silent), "a silent host connection ends");
            TestDriver.await(() -> dev.connections() == 0, "every connection to be gone");
        }
    }

    @Test
    void malformedConnectLineClosesTheHostConnection() throws Exception {
        try (SocketChannel host = SocketChannel.open(UnixDomainSocketAddress.of(uds))) {
            write(host, bytes("CONNECT x\n"));
            assertTrue(closedByPeer(host), "the VMM closes the connection");
            assertNull(g.poll(), "nothing reaches the guest");
        }
    }

    @Test
    void guestConnectToMissingHostListenerGetsRst() {
        long before = Metrics.group("vsock").counter("conns_added").get();
        g.send(OP_REQUEST, GUEST_PORT, 4444, 0, BIG_CREDIT, 0, null, false);
        Packet p = g.recv();
        assertEquals(OP_RST, p.op());
        assertEquals(4444, p.srcPort());
        assertEquals(GUEST_PORT, p.dstPort());
        assertEquals(before, Metrics.group("vsock").counter("conns_added").get());
        // A packet for no connection is answered with RST too.
        g.send(OP_RW, GUEST_PORT, 4445, 0, BIG_CREDIT, 0, bytes("x"), false);
        assertEquals(OP_RST, g.recv().op());
    }

    @Test
    void hostToGuestStopsAtTheGuestsCreditAndResumesOnCreditUpdate() throws Exception {
        try (ServerSocketChannel l = hostListener(5001); SocketChannel host = guestConnect(l, 5001, 100)) {
            byte[] sent = new byte[300];
            for (int i = 0; i < sent.length; i++) {
                sent[i] = (byte) (i * 7);
            }
            write(host, sent);
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            int fwd = 0;
            for (int round = 0; round < 3; round++) {
                int target = 100 * (round + 1);
                boolean creditRequested = false;
                while (got.size() < target) {
                    Packet p = g.recv();
                    if (p.op() == OP_CREDIT_REQUEST) {
                        creditRequested = true;
                        continue;
                    }
                    assertEquals(OP_RW, p.op());
                    got.write(p.data());
                }
                assertEquals(target, got.size(), "never more than the credit the guest gave");
                Packet extra = g.poll();
                if (extra != null) {
                    assertEquals(OP_CREDIT_REQUEST, extra.op(), "out of credit the device asks, and sends no data");
                    creditRequested = true;
                }
                assertNull(g.poll(), "nothing more until the guest gives credit");
                assertTrue(creditRequested, "the device asked for credit when it ran out");
                fwd = target;
                g.send(OP_CREDIT_UPDATE, GUEST_PORT, 5001, 0, 100, fwd, null, false);
            }
            assertArrayEquals(sent, got.toByteArray());
        }
    }

    @Test
    void guestToHostStopsWhenHostStopsReadingAndRecoversWhenItReads() throws Exception {
        try (ServerSocketChannel l = hostListener(5002); SocketChannel host = guestConnect(l, 5002, BIG_CREDIT)) {
            // The guest sends 4 KiB packets while its credit lasts; the host reads nothing.
            long credit = 64 * 1024; // assumed until the device's first header says otherwise
            long sentTotal = 0;
            long hostFwd = 0;
            java.security.MessageDigest sentSum = java.security.MessageDigest.getInstance("SHA-256");
            byte[] chunk = new byte[4096];
            int rounds = 0;
            while (true) {
                Packet p;
                while ((p = g.poll()) != null) {
                    assertEquals(OP_CREDIT_UPDATE, p.op());
                    hostFwd = Integer.toUnsignedLong(p.fwdCnt());
                    credit = Integer.toUnsignedLong(p.bufAlloc());
                }
                long room = credit - (sentTotal - hostFwd);
                if (room < chunk.length) {
                    break;
                }
                Arrays.fill(chunk, (byte) rounds++);
                sentSum.update(chunk);
                g.send(OP_RW, GUEST_PORT, 5002, 0, BIG_CREDIT, 0, chunk, rounds % 2 == 0);
                sentTotal += chunk.length;
                assertFalse(g.needsReset());
                assertTrue(sentTotal < 16 << 20, "the host socket never filled up");
            }
            assertTrue(sentTotal > 64 * 1024, "more than one buffer's worth went out before the host stalled: " + sentTotal);
            // The host reads everything: the device flushes its buffer and gives the credit back.
            java.security.MessageDigest gotSum = java.security.MessageDigest.getInstance("SHA-256");
            gotSum.update(readExactly(host, (int) sentTotal));
            assertArrayEquals(sentSum.digest(), gotSum.digest(), "every byte once, in order");
            Packet update = g.recv();
            assertEquals(OP_CREDIT_UPDATE, update.op());
            long room = Integer.toUnsignedLong(update.bufAlloc()) - (sentTotal - Integer.toUnsignedLong(update.fwdCnt()));
            assertTrue(room >= chunk.length, "credit came back: " + room);
            g.send(OP_RW, GUEST_PORT, 5002, 0, BIG_CREDIT, 0, bytes("more"), false);
            assertEquals("more", new String(readExactly(host, 4), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aHostThatStopsReadingStallsOnlyItsOwnConnection() throws Exception {
        try (ServerSocketChannel l = hostListener(5006)) {
            g.send(OP_REQUEST, 100, 5006, 0, BIG_CREDIT, 0, null, false);
            assertEquals(OP_RESPONSE, g.recv().op());
            g.send(OP_REQUEST, 101, 5006, 0, BIG_CREDIT, 0, null, false);
            assertEquals(OP_RESPONSE, g.recv().op());
            try (SocketChannel stalled = l.accept(); SocketChannel live = l.accept()) {
                // Port 100's host peer reads nothing: send while the credit lasts, until the host
                // socket and the device's buffer are full and the credit is gone.
                sendWhileCreditLasts(100, 5006, new byte[4000]);
                // Port 101 still works both ways meanwhile, and the stalled socket is not busy-polled.
                for (int i = 0; i < 20; i++) {
                    byte[] msg = bytes("message " + i);
                    g.send(OP_RW, 101, 5006, 0, BIG_CREDIT, 0, msg, false);
                    assertArrayEquals(msg, readExactly(live, msg.length));
                    write(live, msg);
                    Packet p = g.recv();
                    while (p.op() == OP_CREDIT_UPDATE) {
                        p = g.recv();
                    }
                    assertEquals(OP_RW, p.op());
                    assertEquals(101, p.dstPort());
                    assertArrayEquals(msg, p.data());
                }
                assertFalse(g.needsReset());
            }
        }
    }

    /**
     * The guest sends {@code chunk} from {@code guestPort} to {@code hostPort} while the credit the
     * device gives lasts, its host peer reading nothing: the host socket and the device's buffer
     * fill up. Returns the bytes sent and the bytes the host socket took (the last fwd_cnt heard).
     */
    private long[] sendWhileCreditLasts(int guestPort, int hostPort, byte[] chunk) {
        long credit = 64 * 1024; // assumed until the device's first header says otherwise
        long sent = 0;
        long taken = 0;
        while (true) {
            Packet p;
            while ((p = g.poll()) != null) {
                assertEquals(OP_CREDIT_UPDATE, p.op(), "only credit updates while the host socket drains");
                taken = Integer.toUnsignedLong(p.fwdCnt());
                credit = Integer.toUnsignedLong(p.bufAlloc());
            }
            if (credit - (sent - taken) < chunk.length) {
                return new long[] {sent, taken};
            }
            g.send(OP_RW, guestPort, hostPort, 0, BIG_CREDIT, 0, chunk, false);
            sent += chunk.length;
            assertTrue(sent < 16 << 20, "the stalled host socket never filled up");
        }
    }

    @Test
    void manyConcurrentConnectionsKeepTheirBytesApart() throws Exception {
        int n = 40;
        try (ServerSocketChannel l = hostListener(5007)) {
            SocketChannel[] host = new SocketChannel[n];
            try {
                for (int i = 0; i < n; i++) {
                    g.send(OP_REQUEST, 2000 + i, 5007, 0, BIG_CREDIT, 0, null, false);
                    assertEquals(OP_RESPONSE, g.recv().op());
                    host[i] = l.accept();
                }
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < n; i++) {
                        g.send(OP_RW, 2000 + i, 5007, 0, BIG_CREDIT, 0, bytes("to host " + i + "/" + round + ";"), i % 2 == 0);
                    }
                    for (int i = 0; i < n; i++) {
                        write(host[i], bytes("to guest " + i + "/" + round + ";"));
                    }
                    java.util.Map<Integer, String> got = new java.util.HashMap<>();
                    int bytesWanted = 0;
                    for (int i = 0; i < n; i++) {
                        bytesWanted += ("to guest " + i + "/" + round + ";").length();
                    }
                    int bytesGot = 0;
                    while (bytesGot < bytesWanted) {
                        Packet p = g.recv();
                        if (p.op() == OP_CREDIT_UPDATE) {
                            continue;
                        }
                        assertEquals(OP_RW, p.op());
                        got.merge(p.dstPort(), new String(p.data(), StandardCharsets.US_ASCII), String::concat);
                        bytesGot += p.data().length;
                    }
                    for (int i = 0; i < n; i++) {
                        String want = "to host " + i + "/" + round + ";";
                        assertEquals(want, new String(readExactly(host[i], want.length()), StandardCharsets.US_ASCII));
                        assertEquals("to guest " + i + "/" + round + ";", got.get(2000 + i), "connection " + i);
                    }
                }
                assertEquals(n, dev.connections());
            } finally {
                for (SocketChannel c : host) {
                    if (c != null) {
                        c.close();
                    }
                }
            }
        }
    }

    @Test
    void guestSendingPastItsCreditIsReset() throws Exception {
        try (ServerSocketChannel l = hostListener(5003); SocketChannel host = guestConnect(l, 5003, BIG_CREDIT)) {
            byte[] chunk = new byte[60 * 1024];
            // Fill the host socket so the device must buffer, then exceed the 64 KiB it granted.
            for (int i = 0; i < 64; i++) {
                g.send(OP_RW, GUEST_PORT, 5003, 0, BIG_CREDIT, 0, chunk, false);
                Packet p = g.poll();
                if (p != null && p.op() == OP_RST) {
                    assertFalse(g.needsReset(), "a misbehaving connection is reset, not the device");
                    return;
                }
            }
            fail("64 x 60 KiB without reading never exceeded the credit");
        }
    }

    /**
     * The host peer closes altogether while the guest keeps its socket open: the guest hears a
     * SHUTDOWN of both directions and, when it never answers with RST, the connection is reset
     * after the shutdown timeout (Firecracker's CONN_SHUTDOWN_TIMEOUT_MS) instead of holding its
     * slot and socket for ever.
     */
    @Test
    void aGuestThatNeverFinishesAClosedConnectionIsResetAfterTheShutdownTimeout() throws Exception {
        long killed = Metrics.group("vsock").counter("conns_killed").get();
        try (ServerSocketChannel l = hostListener(5008)) {
            SocketChannel host = guestConnect(l, 5008, BIG_CREDIT);
            host.close();
            Packet s = g.recv();
            assertEquals(OP_SHUTDOWN, s.op());
            assertEquals(SHUTDOWN_SEND | SHUTDOWN_RCV, s.flags() & (SHUTDOWN_SEND | SHUTDOWN_RCV),
                    "the host peer is gone both ways");
            assertEquals(1, dev.connections(), "the guest has yet to answer");
            // The guest stays silent: the device ends it.
            Packet rst = g.recv();
            assertEquals(OP_RST, rst.op());
            assertEquals(5008, rst.srcPort());
            assertEquals(GUEST_PORT, rst.dstPort());
            assertEquals(0, dev.connections());
            assertEquals(killed + 1, Metrics.group("vsock").counter("conns_killed").get());
        }
    }

    /**
     * A host peer that half-closes (the guest hears SHUTDOWN of SEND, and may still send) and then
     * closes altogether: the guest hears SHUTDOWN of both directions, and a guest that never
     * answers is reset after the shutdown timeout.
     */
    @Test
    void aHostThatHalfClosesThenClosesEndsTheConnectionWithinTheShutdownTimeout() throws Exception {
        try (ServerSocketChannel l = hostListener(5010)) {
            SocketChannel host = guestConnect(l, 5010, BIG_CREDIT);
            host.shutdownOutput();
            Packet half = g.recv();
            assertEquals(OP_SHUTDOWN, half.op());
            assertEquals(SHUTDOWN_SEND, half.flags() & (SHUTDOWN_SEND | SHUTDOWN_RCV));
            g.send(OP_RW, GUEST_PORT, 5010, 0, BIG_CREDIT, 0, bytes("still open"), false);
            assertEquals("still open", new String(readExactly(host, 10), StandardCharsets.US_ASCII));
            host.close();
            Packet both = g.recv();
            assertEquals(OP_SHUTDOWN, both.op());
            assertEquals(SHUTDOWN_SEND | SHUTDOWN_RCV, both.flags() & (SHUTDOWN_SEND | SHUTDOWN_RCV));
            assertEquals(OP_RST, g.recv().op(), "the silent guest's connection is reset");
            assertEquals(0, dev.connections());
        }
    }

    /**
     * The guest closes (SHUTDOWN of both directions) with bytes still waiting for a host peer
     * that never reads: the device holds them only for the shutdown timeout, then resets the
     * connection, closes the host socket and frees the buffer.
     */
    @Test
    void aClosedGuestsBytesAHostNeverReadsAreDroppedAfterTheShutdownTimeout() throws Exception {
        try (ServerSocketChannel l = hostListener(5009); SocketChannel host = guestConnect(l, 5009, BIG_CREDIT)) {
            long[] sentAndTaken = sendWhileCreditLasts(GUEST_PORT, 5009, new byte[4096]);
            long sent = sentAndTaken[0];
            assertTrue(sent > sentAndTaken[1], "the device holds bytes the host socket did not take");
            g.send(OP_SHUTDOWN, GUEST_PORT, 5009, SHUTDOWN_RCV | SHUTDOWN_SEND, BIG_CREDIT, 0, null, false);
            Packet rst = g.recv();
            assertEquals(OP_RST, rst.op(), "the close ends with RST although the host never read");
            assertEquals(0, dev.connections());
            long got = 0;
            host.configureBlocking(true);
            ByteBuffer b = ByteBuffer.allocate(64 * 1024);
            int n;
            try {
                while ((n = host.read(b)) >= 0) {
                    got += n;
                    b.clear();
                }
            } catch (IOException e) {
                // A reset is an end too.
            }
            assertTrue(got < sent, "what the device still held was dropped: " + got + " of " + sent);
        }
    }

    @Test
    void truncatedHeaderSetsNeedsResetAndIsCounted() {
        long before = Metrics.group("vsock").counter("device_errors_request_layout").get();
        tx().setDesc(0, VsockGuest.TX_HDR, 20, 0, 0);
        g.sendRaw();
        assertTrue(g.needsReset());
        assertEquals(before + 1, Metrics.group("vsock").counter("device_errors_request_layout").get());
    }

    @Test
    void lengthBeyondTheChainSetsNeedsReset() {
        g.writeHeader(GUEST_CID, HOST_CID, GUEST_PORT, 5000, 0xFFFF_FFF0L, TYPE_STREAM, OP_RW, 0, BIG_CREDIT, 0);
        tx().setDesc(0, VsockGuest.TX_HDR, HDR_SIZE + 16, 0, 0);
        g.sendRaw();
        assertTrue(g.needsReset());
    }

    @Test
    void bufferOutsideGuestMemorySetsNeedsReset() {
        tx().setDesc(0, 0xFFFF_0000L, 4096, 0, 0);
        g.sendRaw();
        assertTrue(g.needsReset());
    }

    @Test
    void wrongCidOrTypeNeverReachesTheHost() throws Exception {
        try (ServerSocketChannel l = hostListener(5004)) {
            l.configureBlocking(false);
            g.writeHeader(GUEST_CID + 1, HOST_CID, GUEST_PORT, 5004, 0, TYPE_STREAM, OP_REQUEST, 0, BIG_CREDIT, 0);
            tx().setDesc(0, VsockGuest.TX_HDR, HDR_SIZE, 0, 0);
            g.sendRaw();
            assertNull(g.poll(), "a spoofed source CID is dropped");
            g.writeHeader(GUEST_CID, HOST_CID, GUEST_PORT, 5004, 0, 2, OP_REQUEST, 0, BIG_CREDIT, 0);
            g.sendRaw();
            assertEquals(OP_RST, g.recv().op(), "SEQPACKET is not offered: RST");
            assertNull(l.accept(), "no host connection was made");
            assertFalse(g.needsReset());
        }
    }

    @Test
    void transportResetEventDropsConnections() throws Exception {
        try (ServerSocketChannel l = hostListener(5005); SocketChannel host = guestConnect(l, 5005, BIG_CREDIT)) {
            java.util.concurrent.CompletableFuture<Boolean> sent = new java.util.concurrent.CompletableFuture<>();
            loop.execute(() -> sent.complete(dev.sendTransportReset()));
            assertTrue(sent.get());
            assertEquals(1, g.eventsUsed());
            assertEquals(VirtioVsock.EVENT_TRANSPORT_RESET, g.eventId());
            assertEquals(-1, host.read(ByteBuffer.allocate(1)), "host connections end");
            assertEquals(0, dev.connections());
        }
    }

    @Test
    void udsPathInUseIsAClearError() throws Exception {
        Path taken = dir.resolve("taken.sock");
        Files.writeString(taken, "");
        VsockException e = assertThrows(VsockException.class, () -> new VirtioVsock(GUEST_CID, taken.toString()));
        assertEquals(VsockException.Reason.UDS_BIND, e.reason());
        assertTrue(e.getMessage().contains(taken.toString()), e.getMessage());
    }

    /**
     * End of stream, or a reset when the VMM closed with our bytes unread; false when the socket
     * is still open after 10 s (no timing assertion: only a bound so a regression fails, not hangs).
     */
    private static boolean closedByPeer(SocketChannel c) throws IOException {
        c.configureBlocking(false);
        try (java.nio.channels.Selector sel = java.nio.channels.Selector.open()) {
            c.register(sel, java.nio.channels.SelectionKey.OP_READ);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline) {
                sel.select(500);
                sel.selectedKeys().clear();
                try {
                    int n = c.read(ByteBuffer.allocate(16));
                    if (n == -1) {
                        return true;
                    }
                } catch (IOException e) {
                    return e.getMessage() != null && e.getMessage().contains("reset");
                }
            }
            return false;
        }
    }

    private TestRing tx() {
        return g.tx;
    }
}
