package dev.ember.devices.mmds;

import static dev.ember.devices.mmds.GuestEnd.ascii;
import static dev.ember.devices.mmds.Wire.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.ember.metrics.Metrics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The MMDS TCP/IPv4 stack driven with crafted frames, the clock in the test's hand: handshake,
 * in-order delivery, out-of-order and duplicate segments, zero windows, retransmission and
 * giving up, resets (and storms of them), oversized requests and the connection bound. Every
 * segment the stack sends is parsed and its checksums verified.
 */
class TcpStackTest {
    static final TcpLimits LIMITS = new TcpLimits(4, 8, 256);

    long now = 1_000_000_000L;
    final List<String> requests = new ArrayList<>();
    MmdsMetrics metrics;
    MmdsNetworkStack stack;
    final byte[] buf = new byte[MmdsNetworkStack.maxFrameSize()];

    /** "<KEEP|CLOSE> <n>\r\n\r\n" is answered with n bytes; a full buffer with "FULL" and a close. */
    final MmdsRequestHandler handler = (rx, len, full) -> {
        String s = new String(rx, 0, len, StandardCharsets.US_ASCII);
        int end = s.indexOf("\r\n\r\n");
        if (end < 0) {
            return full ? new MmdsRequestHandler.Reply(len, ascii("FULL"), true) : null;
        }
        String req = s.substring(0, end);
        requests.add(req);
        String[] p = req.split(" ");
        int n = Integer.parseInt(p[1]);
        byte[] body = new byte[n];
        for (int i = 0; i < n; i++) {
            body[i] = (byte) ('a' + i % 26);
        }
        return new MmdsRequestHandler.Reply(end + 4, body, p[0].equals("CLOSE"));
    };

    @BeforeEach
    void setUp() {
        metrics = new MmdsMetrics(Metrics.group("mmds_test_" + System.nanoTime()));
        stack = new MmdsNetworkStack(GuestEnd.MMDS_IP, handler, metrics, LIMITS, () -> now);
    }

    // ---- helpers -----------------------------------------------------------------------

    void send(byte[] frame) {
        assertTrue(stack.accept(frame, frame.length), "frame for the MMDS consumed");
    }

    GuestEnd.Seg next() {
        int n = stack.nextFrame(buf);
        assertTrue(n > 0, "the stack has a segment for the guest");
        return GuestEnd.Seg.parse(buf, n);
    }

    void assertNothingToSend() {
        assertEquals(0, stack.nextFrame(buf), "nothing more to send");
    }

    GuestEnd connect(int port) {
        GuestEnd g = new GuestEnd(port, 1000 * port);
        send(g.segment(SYN, null));
        g.seq++;
        GuestEnd.Seg synAck = next();
        assertTrue(synAck.has(SYN | ACK));
        assertEquals(g.seq, synAck.ack());
        assertEquals(1460, synAck.mss());
        g.ack = synAck.seq() + 1;
        send(g.segment(ACK, null));
        return g;
    }

    void request(GuestEnd g, String text) {
        byte[] d = ascii(text);
        send(g.segment(ACK | PSH, d));
        g.seq += d.length;
    }

    /** Reads data segments until {@code n} bytes arrived, acknowledging each. */
    String receive(GuestEnd g, int n) {
        StringBuilder sb = new StringBuilder();
        while (sb.length() < n) {
            GuestEnd.Seg s = next();
            assertEquals(g.ack, s.seq(), "in-order data");
            assertEquals(g.seq, s.ack());
            sb.append(s.text());
            g.ack += s.data().length;
            if (s.has(FIN)) {
                g.ack++;
                g.finSeen = true;
            }
            send(g.segment(ACK, null));
        }
        return sb.toString();
    }

    static String body(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append((char) ('a' + i % 26));
        }
        return sb.toString();
    }

    // ---- tests -------------------------------------------------------------------------

    @Test
    void arpForTheMmdsAddressIsAnsweredAndOtherArpPasses() {
        byte[] f = arpRequest(GuestEnd.MMDS_IP);
        send(f);
        int n = stack.nextFrame(buf);
        assertEquals(ETH_HLEN + ARP_LEN, n);
        assertEquals(GuestEnd.GUEST_MAC, mac(buf, ETH_DST));
        assertEquals(ARP_REPLY, u16(buf, ETH_HLEN + ARP_OPER));
        assertEquals(MmdsNetworkStack.MMDS_MAC, mac(buf, ETH_HLEN + ARP_SHA));
        assertEquals(GuestEnd.MMDS_IP, i32(buf, ETH_HLEN + ARP_SPA));
        assertEquals(GuestEnd.GUEST_IP, i32(buf, ETH_HLEN + ARP_TPA));
        byte[] other = arpRequest(0xA9FE0001);
        assertFalse(stack.accept(other, other.length), "ARP for another address goes to the TAP");
        assertNothingToSend();
    }

    static byte[] arpRequest(int target) {
        byte[] f = new byte[ETH_HLEN + ARP_LEN];
        putMac(f, ETH_DST, 0xFFFF_FFFF_FFFFL);
        putMac(f, ETH_SRC, GuestEnd.GUEST_MAC);
        put16(f, ETH_TYPE, ETHERTYPE_ARP);
        int a = ETH_HLEN;
        put16(f, a + ARP_HTYPE, 1);
        put16(f, a + ARP_PTYPE, ETHERTYPE_IPV4);
        f[a + ARP_HLEN] = 6;
        f[a + ARP_PLEN] = 4;
        put16(f, a + ARP_OPER, ARP_REQUEST);
        putMac(f, a + ARP_SHA, GuestEnd.GUEST_MAC);
        put32(f, a + ARP_SPA, GuestEnd.GUEST_IP);
        put32(f, a + ARP_TPA, target);
        return f;
    }

    @Test
    void framesForOtherAddressesPassAndOtherProtocolsAreConsumed() {
        GuestEnd g = new GuestEnd(5000, 1);
        byte[] elsewhere = g.segment(0x0A000001, 80, SYN, 1, 0, 1000, null, true);
        assertFalse(stack.accept(elsewhere, elsewhere.length));
        byte[] icmp = g.segment(SYN, null);
        icmp[ETH_HLEN + IP_PROTO] = 1;
        send(icmp);
        assertEquals(1, metrics.rxAcceptedUnusual.get());
        byte[] fragment = g.segment(SYN, null);
        put16(fragment, ETH_HLEN + IP_FRAG, IP_FLAG_MF);
        send(fragment);
        assertEquals(1, metrics.rxAcceptedErr.get());
        byte[] runt = new byte[10];
        assertFalse(stack.accept(runt, runt.length));
        assertEquals(1, metrics.rxBadEth.get());
        assertNothingToSend();
    }

    @Test
    void handshakeRequestReplyAndBothFins() {
        GuestEnd g = connect(40000);
        assertEquals(1, stack.connectionCount());
        request(g, "CLOSE 3000\r\n\r\n");
        String got = receive(g, 3000);
        assertEquals(body(3000), got);
        assertEquals(List.of("CLOSE 3000"), requests);
        assertTrue(g.finSeen, "FIN with the reply's last segment");
        assertEquals(1, stack.connectionCount(), "waits for the guest's FIN");
        send(g.segment(FIN | ACK, null));
        g.seq++;
        GuestEnd.Seg last = next();
        assertTrue(last.has(ACK));
        assertEquals(g.seq, last.ack(), "our last ACK covers the guest's FIN");
        assertEquals(0, stack.connectionCount());
        assertEquals(1, metrics.connectionsCreated.get());
        assertEquals(1, metrics.connectionsDestroyed.get());
        assertNothingToSend();
    }

    @Test
    void replyIsCutToThePeersMssAndKeepAliveServesASecondRequest() {
        GuestEnd g = connect(40001);
        request(g, "KEEP 2000\r\n\r\n");
        GuestEnd.Seg first = next();
        assertEquals(1460, first.data().length);
        assertFalse(first.has(PSH));
        GuestEnd.Seg second = next();
        assertEquals(540, second.data().length);
        assertTrue(second.has(PSH));
        g.ack += 2000;
        send(g.segment(ACK, null));
        request(g, "KEEP 10\r\n\r\n");
        assertEquals(body(10), receive(g, 10));
        assertEquals(List.of("KEEP 2000", "KEEP 10"), requests);
        assertEquals(1, stack.connectionCount());
    }

    @Test
    void outOfOrderSegmentIsDroppedAndDuplicateAcked() {
        GuestEnd g = connect(40002);
        byte[] head = ascii("KEEP 5");
        byte[] tail = ascii("\r\n\r\n");
        int base = g.seq;
        g.seq = base + head.length;
        send(g.segment(ACK, tail)); // arrives first
        GuestEnd.Seg dup = next();
        assertEquals(base, dup.ack(), "duplicate ACK names the hole");
        assertEquals(0, dup.data().length);
        assertTrue(requests.isEmpty());
        g.seq = base;
        send(g.segment(ACK, head));
        GuestEnd.Seg ack = next();
        assertEquals(base + head.length, ack.ack(), "only in-order bytes acknowledged");
        g.seq = base + head.length;
        send(g.segment(ACK, tail)); // the retransmission fills the hole
        g.seq += tail.length;
        assertEquals(body(5), receive(g, 5));
        assertEquals(List.of("KEEP 5"), requests);
    }

    @Test
    void duplicateAndOverlappingSegmentsAreDeliveredOnce() {
        GuestEnd g = connect(40003);
        int base = g.seq;
        byte[] all = ascii("KEEP 7\r\n\r\n");
        send(g.segment(ACK, java.util.Arrays.copyOf(all, 4)));
        send(g.segment(ACK, java.util.Arrays.copyOf(all, 4))); // exact duplicate
        g.seq = base + 2;
        send(g.segment(ACK, java.util.Arrays.copyOfRange(all, 2, all.length))); // overlaps two bytes
        g.seq = base + all.length;
        while (true) {
            GuestEnd.Seg s = next();
            if (s.data().length > 0) {
                assertEquals(body(7), s.text());
                break;
            }
        }
        assertEquals(List.of("KEEP 7"), requests, "the request was seen once, intact");
    }

    @Test
    void zeroWindowIsProbedOnTheTimerAndResumesWhenItOpens() {
        GuestEnd g = connect(40004);
        g.window = 0;
        request(g, "KEEP 100\r\n\r\n");
        GuestEnd.Seg ack = next();
        assertEquals(0, ack.data().length, "nothing sent into a zero window");
        assertNothingToSend();
        long deadline = stack.nextDeadline();
        assertNotEquals(Long.MAX_VALUE, deadline, "persist timer armed");
        now = deadline;
        assertTrue(stack.runTimers());
        GuestEnd.Seg probe = next();
        assertEquals(1, probe.data().length, "one-byte window probe");
        assertEquals(g.ack, probe.seq());
        send(g.segment(ACK, null)); // still zero: the probe byte is not taken
        assertNothingToSend();
        g.window = 65535;
        send(g.segment(ACK, null)); // window update
        assertEquals(body(100), receive(g, 100));
    }

    @Test
    void unacknowledgedDataIsRetransmittedWithBackoffThenTheConnectionIsReset() {
        GuestEnd g = connect(40005);
        request(g, "KEEP 50\r\n\r\n");
        GuestEnd.Seg original = next();
        assertEquals(50, original.data().length);
        long previousGap = 0;
        for (int i = 1; i <= TcpConnection.MAX_RETRIES; i++) {
            long d = stack.nextDeadline();
            assertTrue(d - now >= previousGap, "backoff never shrinks");
            previousGap = d - now;
            now = d;
            assertTrue(stack.runTimers());
            GuestEnd.Seg again = next();
            assertEquals(original.seq(), again.seq(), "go-back-N from the first unacknowledged byte");
            assertArrayEquals(original.data(), again.data());
        }
        now = stack.nextDeadline();
        assertTrue(stack.runTimers());
        GuestEnd.Seg rst = next();
        assertTrue(rst.has(RST), "given up: " + rst);
        assertEquals(0, stack.connectionCount());
        assertEquals(Long.MAX_VALUE, stack.nextDeadline());
    }

    @Test
    void lostSynAckIsResentOnTheTimerAndOnARetransmittedSyn() {
        GuestEnd g = new GuestEnd(40006, 77);
        send(g.segment(SYN, null));
        GuestEnd.Seg first = next();
        send(g.segment(SYN, null)); // the guest did not see it
        GuestEnd.Seg again = next();
        assertTrue(again.has(SYN | ACK));
        assertEquals(first.seq(), again.seq());
        now = stack.nextDeadline();
        stack.runTimers();
        assertTrue(next().has(SYN | ACK));
        assertEquals(1, stack.connectionCount());
    }

    @Test
    void resetStormIsBoundedAndOnlyAnExactResetEndsAConnection() {
        GuestEnd g = connect(40007);
        for (int i = 0; i < 1000; i++) {
            GuestEnd stranger = new GuestEnd(50000 + i, i);
            send(stranger.segment(ACK, ascii("x"))); // belongs to no connection
        }
        assertEquals(LIMITS.maxPendingResets(), stack.pendingResets());
        assertEquals(1000 - LIMITS.maxPendingResets(), metrics.txErrors.get());
        for (int i = 0; i < 1000; i++) {
            send(g.segment(GuestEnd.MMDS_IP, 80, RST, g.seq + 100_000 + i, 0, 0, null, false)); // outside the window
            GuestEnd stranger = new GuestEnd(60000 + i % 5000, i);
            send(stranger.segment(RST, null)); // for no connection: never answered
        }
        assertEquals(1, stack.connectionCount(), "resets outside the window are ignored");
        int drained = 0;
        while (stack.nextFrame(buf) > 0) {
            drained++;
        }
        assertEquals(LIMITS.maxPendingResets(), drained, "queued resets, nothing for RSTs received");
        send(g.segment(RST, null));
        assertEquals(0, stack.connectionCount(), "a reset at rcv.nxt ends it");
    }

    @Test
    void segmentsToAnotherPortAreRefused() {
        GuestEnd g = new GuestEnd(40008, 5);
        send(g.segment(GuestEnd.MMDS_IP, 8080, SYN, 5, 0, 1000, null, true));
        GuestEnd.Seg rst = next();
        assertTrue(rst.has(RST | ACK));
        assertEquals(6, rst.ack());
        assertEquals(0, stack.connectionCount());
    }

    @Test
    void oversizedRequestFillsTheWindowAndIsAnsweredByTheLayerAbove() {
        GuestEnd g = connect(40009);
        byte[] chunk = new byte[100];
        java.util.Arrays.fill(chunk, (byte) 'z');
        int sent = 0;
        GuestEnd.Seg last = null;
        while (sent < 400) {
            send(g.segment(ACK, chunk));
            g.seq += chunk.length;
            sent += chunk.length;
            last = next();
            if (last.data().length > 0) {
                break;
            }
        }
        assertNotNull(last);
        assertEquals("FULL", last.text(), "the layer above answered a request larger than the buffer");
        assertTrue(last.ack() - (g.seq - sent) <= LIMITS.receiveBuffer(), "never took more than the buffer");
        assertTrue(last.has(FIN) || next().has(FIN), "and the connection closes");
    }

    @Test
    void connectionCountIsBoundedQuietestIdleIsReplacedBusyOnesAreNot() {
        GuestEnd[] gs = new GuestEnd[LIMITS.maxConnections()];
        for (int i = 0; i < gs.length; i++) {
            now += 1000;
            gs[i] = connect(41000 + i);
        }
        now += 1000;
        GuestEnd extra = new GuestEnd(42000, 3);
        send(extra.segment(SYN, null)); // replaces gs[0], the quietest
        extra.seq++;
        GuestEnd.Seg rst = next();
        assertTrue(rst.has(RST));
        assertEquals(gs[0].port, rst.dstPort());
        GuestEnd.Seg synAck = next();
        assertTrue(synAck.has(SYN | ACK));
        extra.ack = synAck.seq() + 1;
        send(extra.segment(ACK, null));
        assertEquals(LIMITS.maxConnections(), stack.connectionCount());
        send(gs[0].segment(ACK, ascii("KEEP 1\r\n\r\n")));
        assertTrue(next().has(RST), "the replaced connection is gone");
        // Make every live connection busy: a reply held back by a zero window.
        for (GuestEnd g : new GuestEnd[] {gs[1], gs[2], gs[3], extra}) {
            g.window = 0;
            request(g, "KEEP 10\r\n\r\n");
            next();
        }
        GuestEnd late = new GuestEnd(43000, 9);
        send(late.segment(SYN, null));
        GuestEnd.Seg refused = next();
        assertTrue(refused.has(RST | ACK), "no room and nobody idle: refused");
        assertEquals(LIMITS.maxConnections(), stack.connectionCount());
    }

    @Test
    void metricsCarryFirecrackersNamesAndCountFrames() {
        dev.ember.metrics.MetricGroup g = Metrics.group("mmds_names_" + System.nanoTime());
        MmdsMetrics m = new MmdsMetrics(g);
        java.util.Set<String> names = new java.util.TreeSet<>();
        g.counters().forEach(c -> names.add(c.name()));
        assertEquals(new java.util.TreeSet<>(List.of("connections_created", "connections_destroyed", "rx_accepted",
                "rx_accepted_err", "rx_accepted_unusual", "rx_bad_eth", "rx_count", "rx_invalid_token", "rx_no_token",
                "tx_bytes", "tx_count", "tx_errors", "tx_frames")), names);
        stack = new MmdsNetworkStack(GuestEnd.MMDS_IP, handler, m, LIMITS, () -> now);
        connect(40011);
        assertEquals(2, m.rxAccepted.get(), "SYN and ACK");
        assertEquals(2, m.rxCount.get());
        assertEquals(1, m.txFrames.get(), "the SYN-ACK");
        assertEquals(ETH_HLEN + IP_HLEN + TCP_HLEN + 4, m.txBytes.get());
        assertEquals(1, m.connectionsCreated.get());
    }

    @Test
    void theNativeFramePathAllocatesNothingPerFrame() {
        GuestEnd g = connect(40012);
        dev.ember.sys.NativeMemory in = dev.ember.sys.Native.allocate(2048);
        dev.ember.sys.NativeMemory out = dev.ember.sys.Native.allocate(2048);
        byte[] dup = g.segment(ACK, ascii("KEEP")); // delivered once, then a duplicate each time
        in.put(0, dup, 0, dup.length);
        assertTrue(stack.interceptTx(in.address(), dup.length));
        byte[] arp = arpRequest(GuestEnd.MMDS_IP);
        dev.ember.sys.NativeMemory arpIn = dev.ember.sys.Native.allocate(arp.length);
        arpIn.put(0, arp, 0, arp.length);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = 0;
        for (int round = 0; round < 2; round++) { // the first round warms up (class loading, interpreter)
            before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 20_000; i++) {
                stack.interceptTx(in.address(), dup.length);
                assertTrue(stack.pollRx(out.address(), 2048) > 0); // the duplicate ACK
                stack.interceptTx(arpIn.address(), arp.length);
                assertTrue(stack.pollRx(out.address(), 2048) > 0); // the ARP reply
            }
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 4096, "80,000 frames in and out allocated " + allocated + " bytes");
        assertEquals(List.of(), requests, "the duplicates never reached the layer above");
    }

    @Test
    void guestFinWithNothingUnansweredClosesAfterOurFin() {
        GuestEnd g = connect(40010);
        send(g.segment(FIN | ACK, null));
        g.seq++;
        GuestEnd.Seg fin = next();
        assertTrue(fin.has(FIN | ACK));
        assertEquals(g.seq, fin.ack());
        g.ack++;
        send(g.segment(ACK, null));
        assertEquals(0, stack.connectionCount());
    }
}
