package dev.ember.devices.virtio;

import dev.ember.sys.NativeMemory;
import static org.junit.jupiter.api.Assertions.*;

import dev.ember.devices.net.HostLink;
import dev.ember.devices.net.NetNamespace;
import dev.ember.devices.net.Tap;
import dev.ember.devices.ratelimit.RateLimiter;
import dev.ember.devices.ratelimit.TokenBucketConfig;
import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * virtio-net over a real TAP inside a private network namespace; the host side sends and
 * captures raw frames on the interface. Skipped, with the reason printed, where TAPs cannot be
 * created (no /dev/net/tun, no CAP_NET_ADMIN, no ip/python3).
 */
@ExtendWith(GuestMemoryAndLoop.class)
class VirtioNetTest {
    static final byte[] GUEST_MAC = {0x06, 0x00, (byte) 0xAC, 0x10, 0x00, 0x02};
    static final byte[] HOST_MAC = {0x06, 0x00, (byte) 0xAC, 0x10, 0x00, 0x01};
    static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};
    static final long RX_BUFS = 0x400000;
    static final long TX_BUFS = 0x300000;
    static final AtomicInteger TAPS = new AtomicInteger();

    static GuestMemory mem;
    static EventLoop loop;
    static Thread loopThread;
    static NetNamespace ns;

    TestDriver d;
    VirtioNet net;
    TestRing rx;
    TestRing tx;
    HostLink link;

    @BeforeAll
    static void start() throws Exception {
        String why = NetNamespace.unavailableReason();
        if (why == null) {
            try {
                ns = NetNamespace.create();
            } catch (Exception e) {
                why = e.getMessage();
            }
        }
        if (why != null) {
            System.out.println("SKIPPED VirtioNetTest: " + why);
        }
        Assumptions.assumeTrue(why == null, why);
    }

    @AfterAll
    static void stop() throws Exception {
        if (ns != null) {
            ns.close();
        }
    }

    @AfterEach
    void detach() {
        if (d != null) {
            d.close();
        }
    }

    private void up(long featureMask, RateLimiter rxLimit, RateLimiter txLimit) throws Exception {
        String ifName = "vt" + TAPS.incrementAndGet();
        Tap tap = ns.openTap(ifName);
        net = new VirtioNet("eth" + TAPS.get() + "x" + Long.toHexString(System.nanoTime() & 0xFFFF), tap, GUEST_MAC, 1400,
                rxLimit, txLimit);
        link = new HostLink(ns, ifName);
        d = new TestDriver(mem, loop, net);
        d.negotiate(featureMask);
        rx = new TestRing(mem, 16, 0x10000);
        tx = new TestRing(mem, 16, 0x20000);
        d.setupQueue(VirtioNet.RX_QUEUE, rx);
        d.setupQueue(VirtioNet.TX_QUEUE, tx);
        d.driverOk();
        assertEquals(0, d.r(VirtioMmioDevice.REG_STATUS) & Virtio.STATUS_DEVICE_NEEDS_RESET);
    }

    private static byte[] payload(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 13 + seed);
        }
        return b;
    }

    private void postRxBuffers(int first, int count, int size) {
        for (int i = first; i < first + count; i++) {
            rx.setDesc(i, RX_BUFS + i * 0x1000L, size, Virtio.DESC_F_WRITE, 0);
            rx.publish(i);
        }
        d.kick(VirtioNet.RX_QUEUE);
    }

    /** Queues one TX frame in descriptors {@code 2i, 2i+1}: header, then the frame. */
    private void postTx(int i, byte[] frame) {
        writeTx(i, frame);
        tx.publish(2 * i);
    }

    private void writeTx(int i, byte[] frame) {
        long hdr = TX_BUFS + i * 0x20000L;
        mem.fill(hdr, VirtioNet.VNET_HDR_SIZE, (byte) 0);
        mem.write(hdr + 0x100, frame, 0, frame.length);
        tx.setDesc(2 * i, hdr, VirtioNet.VNET_HDR_SIZE, Virtio.DESC_F_NEXT, 2 * i + 1);
        tx.setDesc(2 * i + 1, hdr + 0x100, frame.length, 0, 0);
    }

    /** The frame in used RX entry {@code k} (single-buffer case), header stripped. */
    private byte[] rxFrame(int k) {
        int id = rx.usedId(k);
        int len = rx.usedLen(k);
        long buf = RX_BUFS + id * 0x1000L;
        assertEquals(1, mem.getShort(buf + 10), "num_buffers");
        byte[] f = new byte[len - VirtioNet.VNET_HDR_SIZE];
        mem.read(buf + VirtioNet.VNET_HDR_SIZE, f, 0, f.length);
        return f;
    }

    @Test
    void configSpaceCarriesTheMacAndOffloadsAreOffered() throws Exception {
        up(-1L, null, null);
        long f = d.deviceFeatures();
        assertNotEquals(0, f & Virtio.bit(VirtioNet.F_MAC));
        assertNotEquals(0, f & Virtio.bit(VirtioNet.F_MRG_RXBUF));
        assertNotEquals(0, f & Virtio.bit(VirtioNet.F_GUEST_TSO4));
        assertNotEquals(0, f & Virtio.bit(VirtioNet.F_CSUM));
        byte[] mac = new byte[6];
        for (int i = 0; i < 6; i++) {
            mac[i] = (byte) d.bus.read(d.base + VirtioMmioDevice.REG_CONFIG + i, 1);
        }
        assertArrayEquals(GUEST_MAC, mac);
        assertNotEquals(0, f & Virtio.bit(VirtioNet.F_MTU));
        assertEquals(1400, d.bus.read(d.base + VirtioMmioDevice.REG_CONFIG + VirtioNet.CFG_MTU, 2));
        assertEquals(Virtio.DEVICE_ID_NET, d.r(VirtioMmioDevice.REG_DEVICE_ID));
    }

    @Test
    void guestFrameLeavesThroughTheTap() throws Exception {
        up(-1L, null, null);
        byte[] frame = HostLink.frame(BROADCAST, GUEST_MAC, payload(200, 1));
        try (HostLink.Capture cap = link.capture(1)) {
            postTx(0, frame);
            d.kick(VirtioNet.TX_QUEUE);
            assertArrayEquals(frame, cap.next());
        }
        TestDriver.await(() -> tx.usedIdx() == 1, "TX completion");
        assertEquals(0, tx.usedId(0));
        assertEquals(200 + 14, net.metrics().counter("tx_bytes_count").get());
    }

    /**
     * Firecracker's tx_remaining_reqs_count (after each pop, the frames still in the TX ring) and
     * no_tx_avail_buffer (a TX notification whose pass returned nothing to the used ring).
     */
    @Test
    void txBacklogAndEmptyNotificationsAreCounted() throws Exception {
        up(-1L, null, null);
        d.sync();
        // DRIVER_OK served the (empty) queue once, for buffers posted before it: one empty pass.
        long idle = net.metrics().counter("no_tx_avail_buffer").get();
        assertEquals(1, idle);
        try (HostLink.Capture cap = link.capture(3)) {
            for (int i = 0; i < 3; i++) {
                postTx(i, HostLink.frame(BROADCAST, GUEST_MAC, payload(60, i)));
            }
            d.kick(VirtioNet.TX_QUEUE);
            for (int i = 0; i < 3; i++) {
                cap.next();
            }
        }
        TestDriver.await(() -> tx.usedIdx() == 3, "TX completions");
        d.sync();
        assertEquals(2 + 1 + 0, net.metrics().counter("tx_remaining_reqs_count").get(), "2, 1, then 0 left after each pop");
        assertEquals(idle, net.metrics().counter("no_tx_avail_buffer").get());

        long events = net.metrics().counter("tx_queue_event_count").get();
        d.kick(VirtioNet.TX_QUEUE); // nothing new in the ring
        TestDriver.await(() -> net.metrics().counter("tx_queue_event_count").get() == events + 1, "the second notification");
        d.sync();
        assertEquals(idle + 1, net.metrics().counter("no_tx_avail_buffer").get(), "an empty notification");
        assertEquals(3, net.metrics().counter("tx_remaining_reqs_count").get());
    }

    /** Firecracker's tx_spoofed_mac_count: a frame from another source address than guest_mac is counted, and still sent. */
    @Test
    void framesWithAnotherSourceAddressAreCounted() throws Exception {
        up(-1L, null, null);
        try (HostLink.Capture cap = link.capture(2)) {
            postTx(0, HostLink.frame(BROADCAST, GUEST_MAC, payload(60, 1)));
            postTx(1, HostLink.frame(BROADCAST, HOST_MAC, payload(60, 2)));
            d.kick(VirtioNet.TX_QUEUE);
            cap.next();
            cap.next();
        }
        TestDriver.await(() -> tx.usedIdx() == 2, "TX completions");
        assertEquals(1, net.metrics().counter("tx_spoofed_mac_count").get());
        assertEquals(2, net.metrics().counter("tx_packets_count").get());
    }

    @Test
    void hostFrameReachesTheGuest() throws Exception {
        up(-1L, null, null);
        postRxBuffers(0, 4, 2048);
        byte[] frame = HostLink.frame(GUEST_MAC, HOST_MAC, payload(300, 2));
        link.send(frame);
        TestDriver.await(() -> rx.usedIdx() == 1, "RX delivery");
        assertEquals(VirtioNet.VNET_HDR_SIZE + frame.length, rx.usedLen(0));
        assertArrayEquals(frame, rxFrame(0));
        assertTrue(d.interrupts() > 0);
    }

    @Test
    void framesWaitForBuffersInsteadOfBeingDropped() throws Exception {
        up(-1L, null, null);
        byte[][] frames = new byte[3][];
        for (int i = 0; i < 3; i++) {
            frames[i] = HostLink.frame(GUEST_MAC, HOST_MAC, payload(64 + i, 10 + i));
        }
        link.send(frames);
        TestDriver.await(() -> net.metrics().counter("no_rx_avail_buffer").get() > 0, "device noticing it has no RX buffers");
        d.sync();
        assertEquals(0, rx.usedIdx());
        postRxBuffers(0, 3, 2048);
        TestDriver.await(() -> rx.usedIdx() == 3, "delivery after buffers were added");
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(frames[i], rxFrame(i), "frame " + i + " in order");
        }
        assertEquals(0, net.metrics().counter("rx_fails").get());
        assertEquals(0, net.metrics().counter("rx_frames_too_big").get());
    }

    @Test
    void mergeableBuffersCarryOneFrameAcrossSeveralChains() throws Exception {
        up(-1L, null, null);
        postRxBuffers(0, 8, 256);
        byte[] frame = HostLink.frame(GUEST_MAC, HOST_MAC, payload(986, 3)); // 1000 bytes + 12 header
        link.send(frame);
        TestDriver.await(() -> rx.usedIdx() == 4, "four merged buffers");
        assertEquals(4, mem.getShort(RX_BUFS + rx.usedId(0) * 0x1000L + 10), "num_buffers in the first buffer");
        byte[] all = new byte[1012];
        int off = 0;
        for (int k = 0; k < 4; k++) {
            int len = rx.usedLen(k);
            mem.read(RX_BUFS + rx.usedId(k) * 0x1000L, all, off, len);
            off += len;
        }
        assertEquals(1012, off);
        assertArrayEquals(frame, Arrays.copyOfRange(all, 12, 1012));
    }

    @Test
    void withoutMergeableBuffersAnOversizedFrameIsDroppedAndCounted() throws Exception {
        up(~Virtio.bit(VirtioNet.F_MRG_RXBUF), null, null);
        postRxBuffers(0, 1, 256);
        link.send(HostLink.frame(GUEST_MAC, HOST_MAC, payload(900, 4)));
        TestDriver.await(() -> net.metrics().counter("rx_frames_too_big").get() == 1, "drop of the big frame");
        byte[] small = HostLink.frame(GUEST_MAC, HOST_MAC, payload(100, 5));
        link.send(small);
        TestDriver.await(() -> rx.usedIdx() == 1, "small frame in the same buffer");
        assertArrayEquals(small, rxFrame(0));
    }

    @Test
    void rxRateLimiterDelaysButDelivers() throws Exception {
        RateLimiter limit = new RateLimiter(null, new TokenBucketConfig(1, 0, 200)); // 5 frames/s
        up(-1L, limit, null);
        postRxBuffers(0, 8, 2048);
        long t0 = System.nanoTime();
        byte[][] frames = new byte[4][];
        for (int i = 0; i < 4; i++) {
            frames[i] = HostLink.frame(GUEST_MAC, HOST_MAC, payload(80, 20 + i));
        }
        link.send(frames);
        TestDriver.await(() -> rx.usedIdx() == 4, "all rate-limited frames");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        // 1 frame from the full bucket, then one per 200 ms: at least 600 ms; generous bound.
        assertTrue(ms >= 300, "4 frames at 5/s took only " + ms + " ms");
        assertTrue(limit.throttledEvents() > 0);
        assertTrue(net.metrics().counter("rx_event_rate_limiter_count").get() > 0, "the limiter's timer resumed RX");
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(frames[i], rxFrame(i));
        }
    }

    @Test
    void txRateLimiterCapsThroughput() throws Exception {
        RateLimiter limit = new RateLimiter(new TokenBucketConfig(1000, 0, 100), null); // 10 kB/s
        up(-1L, null, limit);
        int n = 6;
        long t0 = System.nanoTime();
        try (HostLink.Capture cap = link.capture(n)) {
            for (int i = 0; i < n; i++) {
                postTx(i, HostLink.frame(BROADCAST, GUEST_MAC, payload(986, 30 + i)));
            }
            d.kick(VirtioNet.TX_QUEUE);
            for (int i = 0; i < n; i++) {
                byte[] f = cap.next();
                assertEquals((byte) (30 + i), f[14], "frame " + i + " in order");
            }
        }
        TestDriver.await(() -> tx.usedIdx() == n, "TX completions");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        // 6 kB at 10 kB/s with a 1 kB bucket: about 500 ms; generous bound.
        assertTrue(ms >= 250, "6 kB at 10 kB/s took only " + ms + " ms");
        assertTrue(net.metrics().counter("tx_rate_limiter_event_count").get() > 0, "the limiter's timer resumed TX");
    }

    @Test
    void txChainWithWritableDescriptorIsADeviceError() throws Exception {
        up(-1L, null, null);
        tx.setDesc(0, TX_BUFS, 12, Virtio.DESC_F_NEXT, 1);
        tx.setDesc(1, TX_BUFS + 0x100, 64, Virtio.DESC_F_WRITE, 0);
        tx.publish(0);
        d.kick(VirtioNet.TX_QUEUE);
        TestDriver.await(() -> (d.r(VirtioMmioDevice.REG_STATUS) & Virtio.STATUS_DEVICE_NEEDS_RESET) != 0, "DEVICE_NEEDS_RESET");
        assertEquals(1, net.metrics().deviceErrors.get());
        assertEquals(1, net.metrics().errors(VirtqueueException.Reason.REQUEST_LAYOUT).get());
    }

    @Test
    void deletedTapIsReportedOnceAndTheLoopKeepsServing() throws Exception {
        up(-1L, null, null);
        postRxBuffers(0, 2, 2048);
        ns.run("ip", "link", "del", "vt" + TAPS.get());
        TestDriver.await(() -> net.metrics().counter("tap_read_fails").get() == 1, "TAP error reported");
        d.sync();
        d.sync();
        assertEquals(1, net.metrics().counter("tap_read_fails").get(), "reported once, not in a loop");
    }

    /** Sends {@code n} frames from the host side while recycling RX buffers like a driver. */
    private void receiveFrames(int n, int seed) throws Exception {
        byte[][] frames = new byte[n][];
        for (int i = 0; i < n; i++) {
            frames[i] = HostLink.frame(GUEST_MAC, HOST_MAC, payload(100, seed + i));
        }
        int start = rx.usedIdx();
        Thread sender = new Thread(() -> {
            try {
                link.send(frames);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        sender.start();
        int seen = 0;
        while (seen < n) {
            final int want = seen + 1;
            TestDriver.await(() -> ((rx.usedIdx() - start) & 0xFFFF) >= want, "RX frame " + want);
            int id = rx.usedId(start + seen);
            rx.publish(id); // recycle the buffer
            d.kick(VirtioNet.RX_QUEUE);
            seen++;
        }
        sender.join();
    }

    private void transmitFrames(int n) {
        byte[] frame = HostLink.frame(BROADCAST, GUEST_MAC, payload(100, 7));
        for (int i = 0; i < 8; i++) {
            writeTx(i, frame);
        }
        int done = 0;
        while (done < n) {
            int start = tx.usedIdx();
            for (int i = 0; i < 8; i++) {
                tx.publish(2 * i);
            }
            d.kick(VirtioNet.TX_QUEUE);
            TestDriver.await(() -> ((tx.usedIdx() - start) & 0xFFFF) == 8, "TX batch");
            done += 8;
        }
    }

    @Test
    void framesAllocateNothingOnTheEventLoop() throws Exception {
        com.sun.management.ThreadMXBean b = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(b.isThreadAllocatedMemorySupported() && b.isThreadAllocatedMemoryEnabled(),
                "this JVM does not account per-thread allocation");
        up(~Virtio.bit(Virtio.F_RING_EVENT_IDX), null, null);
        postRxBuffers(0, 16, 2048);
        transmitFrames(800); // warm-up
        receiveFrames(200, 0);
        long before = b.getThreadAllocatedBytes(loopThread.getId());
        receiveFrames(200, 50);
        transmitFrames(800);
        long allocated = b.getThreadAllocatedBytes(loopThread.getId()) - before;
        System.out.println("VirtioNetTest: 200 RX + 800 TX frames, " + allocated + " bytes allocated on the event loop");
        assertTrue(allocated < 16 * 1024, "200 RX + 800 TX frames allocated " + allocated + " bytes on the event loop");
    }

    /** Answers frames of EtherType 0x88B6 itself (as MMDS will answer the metadata address). */
    static final class EchoInterceptor implements dev.ember.devices.net.FrameInterceptor {
        final java.util.ArrayDeque<byte[]> replies = new java.util.ArrayDeque<>();
        int seen;

        @Override
        public boolean interceptTx(long frameAddress, int length) {
            seen++;
            dev.ember.sys.NativeMemory p = NativeMemory.view(frameAddress, length);
            if (length < 14 || (p.getByte(12) & 0xFF) != 0x88 || (p.getByte(13) & 0xFF) != 0xB6) {
                return false;
            }
            byte[] f = new byte[length];
            p.get(0, f, 0, length);
            byte[] reply = f.clone();
            System.arraycopy(f, 6, reply, 0, 6); // back to the sender
            System.arraycopy(HOST_MAC, 0, reply, 6, 6);
            reply[14] = (byte) 'R';
            replies.add(reply);
            return true;
        }

        @Override
        public int pollRx(long bufferAddress, int capacity) {
            byte[] r = replies.poll();
            if (r == null) {
                return 0;
            }
            NativeMemory.view(bufferAddress, capacity).put(0, r, 0, r.length);
            return r.length;
        }
    }

    @Test
    void frameInterceptorConsumesTxAndInjectsRx() throws Exception {
        up(-1L, null, null);
        EchoInterceptor mmds = new EchoInterceptor();
        net.setFrameInterceptor(mmds);
        postRxBuffers(0, 4, 2048);
        byte[] request = HostLink.frame(HOST_MAC, GUEST_MAC, payload(50, 9));
        request[12] = (byte) 0x88;
        request[13] = (byte) 0xB6;
        byte[] normal = HostLink.frame(BROADCAST, GUEST_MAC, payload(50, 10));
        try (HostLink.Capture cap = link.capture(1)) {
            postTx(0, request); // answered by the interceptor, never reaches the TAP
            postTx(1, normal);  // passes through
            d.kick(VirtioNet.TX_QUEUE);
            assertArrayEquals(normal, cap.next(), "only the ordinary frame reached the TAP");
        }
        TestDriver.await(() -> rx.usedIdx() == 1, "interceptor reply delivered to the guest");
        byte[] reply = rxFrame(0);
        assertEquals(request.length, reply.length);
        assertEquals('R', reply[14]);
        assertArrayEquals(java.util.Arrays.copyOfRange(request, 6, 12), java.util.Arrays.copyOfRange(reply, 0, 6));
        assertEquals(2, mmds.seen);
        assertEquals(1, net.metrics().counter("tx_intercepted_frames").get());
    }

    @Test
    void mmdsStackAnswersThroughTheDeviceAndRetransmitsOnItsOwnTimer() throws Exception {
        up(-1L, null, null);
        dev.ember.devices.mmds.MmdsNetworkStack stack = new dev.ember.devices.mmds.MmdsNetworkStack(0xA9FEA9FE,
                (b, n, full) -> null, new dev.ember.devices.mmds.MmdsMetrics(dev.ember.metrics.Metrics.group("mmds_vnt_" + System.nanoTime())),
                dev.ember.devices.mmds.TcpLimits.DEFAULT, System::nanoTime);
        net.setFrameInterceptor(stack);
        postRxBuffers(0, 4, 2048);
        byte[] syn = new dev.ember.devices.mmds.GuestEnd(40000, 1).segment(0x02, null);
        byte[] normal = HostLink.frame(BROADCAST, GUEST_MAC, payload(50, 11));
        try (HostLink.Capture cap = link.capture(1)) {
            postTx(0, syn);    // for the MMDS address: answered in the VMM
            postTx(1, normal); // anything else: to the TAP untouched
            d.kick(VirtioNet.TX_QUEUE);
            assertArrayEquals(normal, cap.next(), "only the ordinary frame reached the TAP");
        }
        TestDriver.await(() -> rx.usedIdx() == 1, "SYN-ACK delivered to the guest");
        byte[] first = rxFrame(0);
        dev.ember.devices.mmds.GuestEnd.Seg synAck = dev.ember.devices.mmds.GuestEnd.Seg.parse(first, first.length);
        assertTrue(synAck.has(0x12), "SYN-ACK");
        assertEquals(2, synAck.ack());
        // The guest stays silent: the stack's own timer on the event loop sends it again, with no kick.
        TestDriver.await(() -> rx.usedIdx() == 2, "SYN-ACK retransmitted on the stack's timer");
        byte[] second = rxFrame(1);
        dev.ember.devices.mmds.GuestEnd.Seg again = dev.ember.devices.mmds.GuestEnd.Seg.parse(second, second.length);
        assertTrue(again.has(0x12));
        assertEquals(synAck.seq(), again.seq());
    }
}
