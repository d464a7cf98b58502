package dev.ember.devices.virtio.vsock;

import static dev.ember.metrics.FirecrackerMetrics.Vsock.EV_QUEUE_EVENT_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.Vsock.RX_PACKETS_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Vsock.RX_QUEUE_EVENT_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Vsock.RX_QUEUE_EVENT_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.Vsock.TX_PACKETS_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Vsock.TX_QUEUE_EVENT_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Vsock.TX_QUEUE_EVENT_FAILS;

import dev.ember.devices.virtio.DescriptorChain;
import dev.ember.devices.virtio.DeviceCounters;
import dev.ember.devices.virtio.DeviceMetrics;
import dev.ember.devices.virtio.QueuePass;
import dev.ember.devices.virtio.SplitQueue;
import dev.ember.devices.virtio.Virtio;
import dev.ember.devices.virtio.VirtioDeviceBase;
import dev.ember.devices.virtio.VirtioTransport;
import dev.ember.devices.virtio.VirtqueueException.Reason;
import dev.ember.devices.virtio.VirtqueueException;
import dev.ember.eventloop.EventLoop;
import dev.ember.eventloop.ThreadConfinement;
import dev.ember.memory.GuestMemoryException;
import dev.ember.metrics.FirecrackerMetrics.Vsock;
import dev.ember.metrics.FirecrackerMetrics;

/**
 * virtio-vsock (virtio 1.2, 5.10): RX, TX and event queues, config space {@code le64 guest_cid},
 * stream sockets only; the host side is Unix sockets ({@link VsockMuxer}).
 *
 * <p>Every packet is a {@link VsockPacket} header followed by its payload, in one descriptor
 * or several (Linux has used both layouts): the device reads and writes the chain's readable
 * and writable areas as byte streams. A TX chain shorter than a header or than the length its
 * header claims, or an RX chain with no room past a header, is the driver's error
 * (DEVICE_NEEDS_RESET, counted by reason) and never reaches the muxer. Nothing on the queue
 * paths allocates.
 */
public final class VirtioVsock extends VirtioDeviceBase {
    public static final int DEVICE_ID = 19;
    public static final int RX_QUEUE = 0, TX_QUEUE = 1, EVENT_QUEUE = 2;
    /** struct virtio_vsock_config: {@code le64 guest_cid}. */
    public static final int CFG_GUEST_CID = 0, CFG_SIZE = 8;
    /** virtio_vsock_event id: the guest must drop its connections (snapshot restore). */
    public static final int EVENT_TRANSPORT_RESET = 0;
    /** Largest payload a TX packet may carry (Linux sends at most 64 KiB). */
    static final long MAX_TX_PAYLOAD = 64 * 1024;

    private final long guestCid;
    private final String udsPath;
    private final DeviceCounters<Vsock> m = metrics.counters(Vsock.class);
    private final VsockMuxer muxer;
    private final DescriptorChain chain = new DescriptorChain(Virtio.MAX_QUEUE_SIZE);
    private final VsockPacket rxPkt = new VsockPacket();
    private final VsockPacket txPkt = new VsockPacket();
    private final Runnable rxReady = this::processRx;
    /** RX takes buffers only while the muxer owes the guest a packet. */
    private final QueuePass.Server rxServer = new QueuePass.Server() {
        @Override
        public long serve(DescriptorChain c) {
            return serveRx(c);
        }

        @Override
        public boolean accepting() {
            return muxer.hasPending();
        }
    };
    private final QueuePass.Server txServer = this::serveTx;

    /**
     * Binds {@code udsPath} at once, so a bad path fails the start and not the guest.
     *
     * @throws VsockException naming the field and what is wrong
     */
    public VirtioVsock(long guestCid, String udsPath) {
        super(DEVICE_ID, "vsock cid " + guestCid, 3, CFG_SIZE, DeviceMetrics.single(FirecrackerMetrics.VSOCK));
        if (guestCid < 3 || guestCid > 0xFFFF_FFFFL) {
            throw new VsockException(VsockException.Reason.GUEST_CID, "vsock guest_cid must be 3.." + 0xFFFF_FFFFL + " (0-2 are reserved), got " + guestCid);
        }
        this.guestCid = guestCid;
        config.put(CFG_GUEST_CID, 8, guestCid);
        this.udsPath = udsPath;
        this.muxer = new VsockMuxer(guestCid, udsPath, m);
    }

    public long guestCid() {
        return guestCid;
    }

    public String udsPath() {
        return udsPath;
    }

    /** Open host connections, for tests and the snapshot check. */
    public int connections() {
        return muxer.connections();
    }

    @Override
    protected void onAttach(EventLoop eventLoop) {
        muxer.attach(eventLoop, rxReady);
    }

    @Override
    protected void onActivate(VirtioTransport t) {
        processRx(); // host connections may be waiting for the guest's first buffers
    }

    @Override
    protected void onReset() {
        muxer.reset();
    }

    @Override
    public void onQueueNotify(int queueIndex) {
        switch (queueIndex) {
            case RX_QUEUE -> {
                m.get(RX_QUEUE_EVENT_COUNT).inc();
                processRx();
            }
            case TX_QUEUE -> {
                m.get(TX_QUEUE_EVENT_COUNT).inc();
                processTx();
            }
            default -> { } // event buffers are taken when an event is sent
        }
    }

    private void processRx() {
        ThreadConfinement.requireLoop(loop, "VirtioVsock.processRx");
        // With no buffers, connections stay queued (their sockets unwatched) until a kick.
        QueuePass.serve(transport, RX_QUEUE, chain, rxServer, m.get(RX_QUEUE_EVENT_FAILS));
    }

    /** Fills one RX buffer with the next packet the muxer owes the guest. */
    private long serveRx(DescriptorChain c) {
        if (c.readableBytes() != 0 || c.writableBytes() <= VsockPacket.HDR_SIZE) {
            throw new VirtqueueException(Reason.REQUEST_LAYOUT, "vsock RX buffer " + c.head()
                    + " has device-readable descriptors or no room past the 44-byte header");
        }
        long n = muxer.emit(c, rxPkt);
        if (n < 0) {
            return QueuePass.PUT_BACK;
        }
        m.get(RX_PACKETS_COUNT).inc();
        return n;
    }

    private void processTx() {
        ThreadConfinement.requireLoop(loop, "VirtioVsock.processTx");
        QueuePass.serve(transport, TX_QUEUE, chain, txServer, m.get(TX_QUEUE_EVENT_FAILS));
        processRx(); // replies (RESPONSE, RST, credit) the packets asked for
    }

    /** Hands one guest packet to the muxer; the buffer goes back with nothing written. */
    private long serveTx(DescriptorChain c) {
        if (c.writableBytes() != 0 || c.readableBytes() < VsockPacket.HDR_SIZE) {
            throw new VirtqueueException(Reason.REQUEST_LAYOUT, "vsock TX chain " + c.head()
                    + " has device-writable descriptors or is shorter than the 44-byte header");
        }
        txPkt.readFrom(c);
        if (txPkt.len > MAX_TX_PAYLOAD || txPkt.len > c.readableBytes() - VsockPacket.HDR_SIZE) {
            throw new VirtqueueException(Reason.REQUEST_LAYOUT, "vsock TX chain " + c.head() + " claims "
                    + txPkt.len + " payload bytes but holds " + (c.readableBytes() - VsockPacket.HDR_SIZE)
                    + " (at most " + MAX_TX_PAYLOAD + ")");
        }
        m.get(TX_PACKETS_COUNT).inc();
        muxer.onGuestPacket(txPkt, c);
        return 0;
    }

    /**
     * Tells the driver to drop every connection (VIRTIO_VSOCK_EVENT_TRANSPORT_RESET), as after
     * a snapshot restore; host connections end too. Event-loop thread.
     *
     * @return false if the driver had no event buffer posted
     */
    public boolean sendTransportReset() {
        ThreadConfinement.requireLoop(loop, "VirtioVsock.sendTransportReset");
        muxer.reset();
        VirtioTransport t = transport;
        if (t == null || t.broken()) {
            return false;
        }
        SplitQueue q = t.queue(EVENT_QUEUE);
        try {
            if (!q.pop(chain)) {
                m.get(EV_QUEUE_EVENT_FAILS).inc();
                return false;
            }
            if (chain.writableBytes() < 4) {
                throw new VirtqueueException(Reason.REQUEST_LAYOUT, "vsock event buffer " + chain.head() + " is shorter than 4 bytes");
            }
            chain.writeWritable(0, 4, EVENT_TRANSPORT_RESET);
            q.addUsed(chain.head(), 4);
        } catch (VirtqueueException | GuestMemoryException e) {
            QueuePass.driverError(t, e, m.get(EV_QUEUE_EVENT_FAILS));
            return false;
        }
        t.notifyUsed(q);
        return true;
    }

    @Override
    public void close() {
        muxer.close();
    }
}
