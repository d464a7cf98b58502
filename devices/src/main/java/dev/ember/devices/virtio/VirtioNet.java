package dev.ember.devices.virtio;

import static dev.ember.metrics.FirecrackerMetrics.Net.NO_RX_AVAIL_BUFFER;
import static dev.ember.metrics.FirecrackerMetrics.Net.NO_TX_AVAIL_BUFFER;
import static dev.ember.metrics.FirecrackerMetrics.Net.RX_BYTES_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Net.RX_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Net.RX_EVENT_RATE_LIMITER_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Net.RX_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.Net.RX_FRAMES_TOO_BIG;
import static dev.ember.metrics.FirecrackerMetrics.Net.RX_PACKETS_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Net.RX_QUEUE_EVENT_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Net.RX_RATE_LIMITER_THROTTLED;
import static dev.ember.metrics.FirecrackerMetrics.Net.RX_TAP_EVENT_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Net.TAP_READ_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.Net.TAP_WRITE_AGG;
import static dev.ember.metrics.FirecrackerMetrics.Net.TAP_WRITE_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.Net.TX_BYTES_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Net.TX_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Net.TX_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.Net.TX_INTERCEPTED_FRAMES;
import static dev.ember.metrics.FirecrackerMetrics.Net.TX_MALFORMED_FRAMES;
import static dev.ember.metrics.FirecrackerMetrics.Net.TX_PACKETS_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Net.TX_QUEUE_EVENT_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Net.TX_RATE_LIMITER_EVENT_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Net.TX_RATE_LIMITER_THROTTLED;
import static dev.ember.metrics.FirecrackerMetrics.Net.TX_REMAINING_REQS_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Net.TX_SPOOFED_MAC_COUNT;

import com.kenai.jffi.MemoryIO;
import dev.ember.devices.net.FrameInterceptor;
import dev.ember.devices.net.Tap;
import dev.ember.devices.ratelimit.RateLimiter;
import dev.ember.eventloop.EventLoop;
import dev.ember.eventloop.ThreadConfinement;
import dev.ember.log.Log;
import dev.ember.memory.GuestMemoryException;
import dev.ember.metrics.FirecrackerMetrics.Net;
import dev.ember.metrics.FirecrackerMetrics;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.lang.System.Logger.Level;
import dev.ember.sys.NativeMemory;

/**
 * virtio-net (virtio 1.2, 5.1) backed by a TAP device, one RX/TX queue pair, no control queue.
 *
 * <p>Every frame on the TAP and in the queues carries the 12-byte {@code virtio_net_hdr_v1};
 * the TAP is opened with IFF_VNET_HDR so the guest's offload metadata passes straight through
 * and the kernel hands us frames using the offloads the guest accepted (TUNSETOFFLOAD).
 *
 * <p>TX: chains are written to the TAP with one writev straight from guest memory (or through
 * a native staging buffer when a {@link FrameInterceptor} must see the frame). RX: one frame is
 * read from the TAP into a native buffer, then copied into one chain, or several with
 * MRG_RXBUF. When the guest has no buffers (or the RX rate limiter says stop), the frame stays
 * pending and the TAP is taken out of the epoll interest set; it is re-armed when the guest
 * adds buffers or the limiter's timer fires. The TAP is level-triggered, so nothing is lost
 * between those points and nothing spins. Nothing on these paths allocates.
 */
public final class VirtioNet extends VirtioDeviceBase {
    private static final System.Logger LOG = Log.logger(VirtioNet.class);

    // 5.1.3 feature bits
    public static final int F_CSUM = 0, F_GUEST_CSUM = 1, F_MTU = 3, F_MAC = 5, F_GUEST_TSO4 = 7, F_GUEST_TSO6 = 8, F_GUEST_UFO = 10,
            F_HOST_TSO4 = 11, F_HOST_TSO6 = 12, F_HOST_UFO = 14, F_MRG_RXBUF = 15;
    /** sizeof(struct virtio_net_hdr_v1). */
    public static final int VNET_HDR_SIZE = 12;
    static final int HDR_NUM_BUFFERS = 10;
    /** struct virtio_net_config offsets (checked against linux/virtio_net.h). */
    public static final int CFG_MAC = 0, CFG_MTU = 10, CFG_SIZE = 12;
    /** Largest frame the kernel hands us with TSO: 64 KiB IP packet + Ethernet header, plus the vnet header. */
    public static final int MAX_FRAME = 65550 + VNET_HDR_SIZE;
    public static final int RX_QUEUE = 0, TX_QUEUE = 1;
    /** Frames moved per TAP wake-up before yielding to other fds (level-triggered: we come back). */
    private static final int RX_BATCH = 64;

    private final String ifaceId;
    private final Tap tap;
    private final byte[] mac;
    private final int mtu;
    private final RateLimiter rxLimiter;
    private final RateLimiter txLimiter;
    private final boolean ufo;
    private final long features;
    private final DeviceCounters<Net> m;
    private final QueuePass.Backlog txBacklog;
    private final DescriptorChain chain = new DescriptorChain(Virtio.MAX_QUEUE_SIZE);
    private final DescriptorChain firstRx = new DescriptorChain(Virtio.MAX_QUEUE_SIZE);
    private final IoVecArray iov = new IoVecArray(Virtio.MAX_QUEUE_SIZE);
    private final int[] rxHeads = new int[Virtio.MAX_QUEUE_SIZE];
    private final long[] rxLens = new long[Virtio.MAX_QUEUE_SIZE];
    private final NativeMemory rxBuf = Native.allocate(MAX_FRAME);
    private final NativeMemory txBuf = Native.allocate(MAX_FRAME);
    private final Runnable rxResume = this::resumeRx;
    private final Runnable txResume = this::processTx;
    private final QueuePass.Server txServer = this::serveTx;
    private volatile FrameInterceptor interceptor;

    private boolean mergeable;
    private int rxPending;          // length of the frame waiting in rxBuf, 0 if none
    private boolean tapArmed;       // TAP fd in the epoll interest set with EPOLLIN
    private boolean tapGone;        // unregistered after EPOLLERR/EPOLLHUP
    private boolean interceptorMayAnswer; // a TX pass gave the interceptor a frame it may reply to

    /**
     * @param ifaceId     {@code iface_id}: names the metrics group {@code net_<id>} and the logs
     * @param hostDevName {@code host_dev_name}: the TAP interface to open (created if missing, with CAP_NET_ADMIN)
     * @param guestMac    {@code guest_mac}, 6 bytes, or null to let the guest pick one
     * @param mtu         {@code mtu}: offered to the guest as VIRTIO_NET_F_MTU (68..65535), or 0 for none
     * @param rxLimiter   {@code rx_rate_limiter}, null for unlimited
     * @param txLimiter   {@code tx_rate_limiter}, null for unlimited
     * @throws dev.ember.devices.net.TapException if the TAP cannot be opened or configured
     */
    public VirtioNet(String ifaceId, String hostDevName, byte[] guestMac, int mtu, RateLimiter rxLimiter, RateLimiter txLimiter) {
        this(ifaceId, Tap.open(hostDevName), guestMac, mtu, rxLimiter, txLimiter);
    }

    /** {@code ifaceId} when the arguments are valid; else closes the TAP (the device owns it) and throws. */
    private static String checkedOrClose(String ifaceId, Tap tap, byte[] guestMac, int mtu) {
        String problem = null;
        if (ifaceId == null || ifaceId.isEmpty()) {
            problem = "iface_id must not be empty";
        } else if (guestMac != null && guestMac.length != 6) {
            problem = "guest_mac of iface '" + ifaceId + "' must be 6 bytes, got " + guestMac.length;
        } else if (mtu != 0 && (mtu < 68 || mtu > 65535)) {
            problem = "mtu of iface '" + ifaceId + "' must be 68..65535 (or unset), got " + mtu;
        }
        if (problem != null) {
            tap.close();
            throw new IllegalArgumentException(problem);
        }
        return ifaceId;
    }

    /** Same, over an already opened TAP (the device takes ownership). */
    public VirtioNet(String ifaceId, Tap tap, byte[] guestMac, int mtu, RateLimiter rxLimiter, RateLimiter txLimiter) {
        super(Virtio.DEVICE_ID_NET, "net " + ifaceId, 2, CFG_SIZE,
                new DeviceMetrics(FirecrackerMetrics.NET, checkedOrClose(ifaceId, tap, guestMac, mtu)));
        this.ifaceId = ifaceId;
        this.mtu = mtu;
        this.tap = tap;
        this.mac = guestMac == null ? null : guestMac.clone();
        this.rxLimiter = rxLimiter == null ? RateLimiter.unlimited() : rxLimiter;
        this.txLimiter = txLimiter == null ? RateLimiter.unlimited() : txLimiter;
        try {
            tap.setVnetHeaderSize(VNET_HDR_SIZE);
            // Probe UFO once: kernels that dropped it refuse the flag, then we must not offer it.
            this.ufo = tap.setOffload(Tap.TUN_F_CSUM | Tap.TUN_F_TSO4 | Tap.TUN_F_TSO6 | Tap.TUN_F_UFO);
            tap.setOffload(0);
        } catch (RuntimeException e) {
            tap.close();
            throw e;
        }
        long f = Virtio.RING_FEATURES
                | Virtio.bit(F_CSUM) | Virtio.bit(F_GUEST_CSUM) | Virtio.bit(F_GUEST_TSO4) | Virtio.bit(F_GUEST_TSO6)
                | Virtio.bit(F_HOST_TSO4) | Virtio.bit(F_HOST_TSO6) | Virtio.bit(F_MRG_RXBUF);
        if (ufo) {
            f |= Virtio.bit(F_GUEST_UFO) | Virtio.bit(F_HOST_UFO);
        }
        if (mac != null) {
            f |= Virtio.bit(F_MAC);
        }
        if (mtu != 0) {
            f |= Virtio.bit(F_MTU);
        }
        this.features = f;
        this.m = metrics.counters(Net.class);
        this.txBacklog = new QueuePass.Backlog(m.get(TX_REMAINING_REQS_COUNT), m.get(NO_TX_AVAIL_BUFFER));
        // 5.1.4: mac[6], status (not offered), max_virtqueue_pairs (not offered), mtu; zero elsewhere.
        config.put(CFG_MTU, 2, mtu);
        if (mac != null) {
            config.put(CFG_MAC, mac);
        }
    }

    public String ifaceId() {
        return ifaceId;
    }

    public Tap tap() {
        return tap;
    }

    public RateLimiter rxRateLimiter() {
        return rxLimiter;
    }

    public RateLimiter txRateLimiter() {
        return txLimiter;
    }

    /** Installs the TX/RX hook (MMDS); null removes it. Any thread. */
    public void setFrameInterceptor(FrameInterceptor i) {
        this.interceptor = i;
        EventLoop l = loop;
        if (i != null && l != null) {
            l.execute(() -> i.bind(l, rxResume));
        }
    }

    // ---- VirtioDevice ----------------------------------------------------------------------

    @Override public long deviceFeatures() { return features; }
    @Override public DeviceCounter interruptFailures() { return m.get(Net.EVENT_FAILS); }

    @Override
    protected void onAttach(EventLoop eventLoop) {
        attachLimiter(rxLimiter, m.get(RX_EVENT_RATE_LIMITER_COUNT), rxResume);
        attachLimiter(txLimiter, m.get(TX_RATE_LIMITER_EVENT_COUNT), this::processTx);
        eventLoop.register(tap.fd(), 0, this::onTapEvent); // armed when the guest has buffers
        FrameInterceptor i = interceptor;
        if (i != null) {
            i.bind(eventLoop, rxResume);
        }
    }

    @Override
    protected void onActivate(VirtioTransport t) {
        long f = t.negotiatedFeatures();
        mergeable = (f & Virtio.bit(F_MRG_RXBUF)) != 0;
        int offload = 0;
        if ((f & Virtio.bit(F_GUEST_CSUM)) != 0) {
            offload |= Tap.TUN_F_CSUM;
            if ((f & Virtio.bit(F_GUEST_TSO4)) != 0) {
                offload |= Tap.TUN_F_TSO4;
            }
            if ((f & Virtio.bit(F_GUEST_TSO6)) != 0) {
                offload |= Tap.TUN_F_TSO6;
            }
            if ((f & Virtio.bit(F_GUEST_UFO)) != 0) {
                offload |= Tap.TUN_F_UFO;
            }
        }
        if (!tap.setOffload(offload)) {
            throw new IllegalStateException("TUNSETOFFLOAD 0x" + Integer.toHexString(offload) + " refused on " + tap.name());
        }
        setTapArmed(true);
    }

    @Override
    protected void onReset() {
        if (rxPending > 0) {
            m.get(RX_FAILS).inc(); // a frame read before the reset can no longer be delivered
            rxPending = 0;
        }
        setTapArmed(false);
    }

    @Override
    public void onQueueNotify(int queueIndex) {
        if (queueIndex == RX_QUEUE) {
            m.get(RX_QUEUE_EVENT_COUNT).inc();
            resumeRx();
        } else {
            m.get(TX_QUEUE_EVENT_COUNT).inc();
            processTx();
        }
    }

    private void setTapArmed(boolean armed) {
        if (armed != tapArmed && !tapGone) {
            tapArmed = armed;
            loop.modify(tap.fd(), armed ? LibC.EPOLLIN : 0);
        }
    }

    // ---- RX --------------------------------------------------------------------------------

    private void onTapEvent(int events) {
        ThreadConfinement.requireLoop(loop, "VirtioNet.onTapEvent");
        if ((events & (LibC.EPOLLERR | LibC.EPOLLHUP)) != 0) {
            // The interface went away under us (deleted, or detached): epoll would report this
            // forever whatever the interest mask, so stop watching; TX writes will fail and count.
            m.get(TAP_READ_FAILS).inc();
            LOG.log(Level.ERROR, "net {0}: TAP {1} reported an error or hang-up (events 0x{2}); no longer receiving",
                    ifaceId, tap.name(), Integer.toHexString(events));
            loop.unregister(tap.fd());
            tapGone = true;
            return;
        }
        m.get(RX_TAP_EVENT_COUNT).inc();
        processRx();
    }

    /** The guest added RX buffers or the RX limiter's timer fired. */
    private void resumeRx() {
        processRx();
    }

    private void processRx() {
        ThreadConfinement.requireLoop(loop, "VirtioNet.processRx");
        VirtioTransport t = transport;
        if (t == null || t.broken()) {
            setTapArmed(false);
            return;
        }
        SplitQueue q = t.queue(RX_QUEUE);
        boolean delivered = false;
        try {
            for (int n = 0; n < RX_BATCH; n++) {
                if (rxPending == 0 && !fetchFrame()) {
                    setTapArmed(true); // nothing pending on the TAP: wait for the next frame
                    break;
                }
                int r = deliver(q);
                if (r < 0) {
                    setTapArmed(false); // no buffers or throttled: resume on kick or timer
                    break;
                }
                delivered |= r > 0;
            }
        } catch (VirtqueueException | GuestMemoryException e) {
            QueuePass.driverError(t, e, null);
            setTapArmed(false);
        }
        if (delivered) {
            t.notifyUsed(q);
        }
    }

    /** Fills rxBuf with the next frame (interceptor first, then the TAP); false if none. */
    private boolean fetchFrame() {
        FrameInterceptor i = interceptor;
        if (i != null) {
            int n = i.pollRx(rxBuf.address() + VNET_HDR_SIZE, MAX_FRAME - VNET_HDR_SIZE);
            if (n > 0) {
                rxBuf.setMemory(0, VNET_HDR_SIZE, (byte) 0);
                rxPending = n + VNET_HDR_SIZE;
                return true;
            }
        }
        long n = tap.read(rxBuf.address(), MAX_FRAME);
        if (n == -LibC.EAGAIN) {
            return false;
        }
        if (n < 0) {
            m.get(TAP_READ_FAILS).inc();
            LOG.log(Level.WARNING, "net {0}: read from {1} failed: {2}", ifaceId, tap.name(), Native.LIBC.strerror((int) -n));
            return false;
        }
        if (n < VNET_HDR_SIZE) {
            m.get(RX_FAILS).inc();
            return false;
        }
        rxPending = (int) n;
        return true;
    }

    /**
     * Copies the pending frame into guest buffers.
     *
     * @return 1 delivered, 0 dropped (counted), -1 must wait (no buffers or rate limited)
     */
    private int deliver(SplitQueue q) {
        int len = rxPending;
        if (q.pending() == 0) {
            m.get(NO_RX_AVAIL_BUFFER).inc();
            q.enableNotifications(); // ask for a kick when buffers arrive (closes the EVENT_IDX race)
            if (q.pending() == 0) {
                return -1;
            }
        }
        if (!rxLimiter.consume(len - VNET_HDR_SIZE, 1)) {
            m.get(RX_RATE_LIMITER_THROTTLED).inc();
            return -1;
        }
        int used = 0;
        long copied = 0;
        while (copied < len) {
            DescriptorChain c = used == 0 ? firstRx : chain;
            if (used == q.size() || !q.pop(c)) {
                // Not enough buffers yet: return what we took and wait for more.
                for (int k = 0; k < used; k++) {
                    q.undoPop();
                }
                if (used == q.size()) {
                    return dropTooBig(len, "the whole RX queue cannot hold it");
                }
                m.get(NO_RX_AVAIL_BUFFER).inc();
                q.enableNotifications();
                return -1;
            }
            long room = c.writableBytes();
            if (c.readableBytes() != 0 || room < (used == 0 ? VNET_HDR_SIZE : 1)) {
                throw new VirtqueueException(VirtqueueException.Reason.REQUEST_LAYOUT, "RX buffer " + c.head() + " has device-readable descriptors or no room for the header");
            }
            long take = Math.min(room, len - copied);
            if (!mergeable && take < len) {
                q.undoPop();
                return dropTooBig(len, "a " + room + "-byte buffer without MRG_RXBUF");
            }
            copyToChain(c, copied, take);
            rxHeads[used] = c.head();
            rxLens[used] = take;
            used++;
            copied += take;
        }
        firstRx.writeWritable(HDR_NUM_BUFFERS, 2, used);
        for (int k = 0; k < used; k++) {
            q.addUsed(rxHeads[k], rxLens[k]);
        }
        rxPending = 0;
        m.get(RX_BYTES_COUNT).add(len - VNET_HDR_SIZE);
        m.get(RX_PACKETS_COUNT).inc();
        m.get(RX_COUNT).inc();
        return 1;
    }

    private int dropTooBig(int len, String why) {
        m.get(RX_FRAMES_TOO_BIG).inc();
        if (LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, "net {0}: dropped a {1}-byte frame: {2}", ifaceId, len, why);
        }
        rxPending = 0;
        return 0;
    }

    private void copyToChain(DescriptorChain c, long frameOffset, long len) {
        int n = c.toIovecs(true, 0, len, iov, 0);
        long src = rxBuf.address() + frameOffset;
        MemoryIO io = MemoryIO.getInstance();
        for (int i = 0; i < n; i++) {
            long l = iov.length(i);
            io.copyMemory(src, iov.base(i), l);
            src += l;
        }
    }

    // ---- TX --------------------------------------------------------------------------------

    private void processTx() {
        ThreadConfinement.requireLoop(loop, "VirtioNet.processTx");
        interceptorMayAnswer = false;
        QueuePass.serve(transport, TX_QUEUE, chain, txLimiter, txServer, null, txBacklog);
        if (interceptorMayAnswer) {
            processRx();
        }
    }

    /** Sends one guest frame (a malformed one is counted and dropped); its buffer goes back empty. */
    private long serveTx(DescriptorChain c) {
        if (c.writableBytes() != 0) {
            throw new VirtqueueException(VirtqueueException.Reason.REQUEST_LAYOUT, "TX chain " + c.head() + " has device-writable descriptors");
        }
        long len = c.readableBytes();
        if (len < VNET_HDR_SIZE || len > MAX_FRAME) {
            m.get(TX_MALFORMED_FRAMES).inc();
        } else if (!txLimiter.consume(len - VNET_HDR_SIZE, 1)) {
            m.get(TX_RATE_LIMITER_THROTTLED).inc();
            return QueuePass.PUT_BACK;
        } else {
            interceptorMayAnswer |= transmit(c, (int) len);
        }
        return 0;
    }

    /** Sends one frame; returns true if the interceptor consumed it (and may have a reply). */
    private boolean transmit(DescriptorChain c, int len) {
        FrameInterceptor i = interceptor;
        long rc;
        long start;
        if (i != null) {
            int n = c.toIovecs(false, 0, len, iov, 0);
            long dst = txBuf.address();
            MemoryIO io = MemoryIO.getInstance();
            for (int k = 0; k < n; k++) {
                io.copyMemory(iov.base(k), dst, iov.length(k));
                dst += iov.length(k);
            }
            if (i.interceptTx(txBuf.address() + VNET_HDR_SIZE, len - VNET_HDR_SIZE)) {
                m.get(TX_INTERCEPTED_FRAMES).inc();
                return true;
            }
            if (mac != null && len >= VNET_HDR_SIZE + 12 && sourceIsNotOurs(txBuf.address() + VNET_HDR_SIZE + 6, 0)) {
                m.get(TX_SPOOFED_MAC_COUNT).inc();
            }
            start = System.nanoTime();
            rc = tap.write(txBuf.address(), len);
        } else {
            int n = c.toIovecs(false, 0, len, iov, 0);
            if (mac != null && len >= VNET_HDR_SIZE + 12 && sourceIsNotOurs(0, n)) {
                m.get(TX_SPOOFED_MAC_COUNT).inc();
            }
            start = System.nanoTime();
            rc = tap.writev(iov.address(), n);
        }
        if (rc < 0) {
            m.get(TAP_WRITE_FAILS).inc();
            m.get(TX_FAILS).inc();
            if (LOG.isLoggable(Level.DEBUG)) {
                LOG.log(Level.DEBUG, "net {0}: write to {1} failed: {2}", ifaceId, tap.name(), Native.LIBC.strerror((int) -rc));
            }
        } else {
            m.latency(TAP_WRITE_AGG).recordSince(start);
            m.get(TX_BYTES_COUNT).add(len - VNET_HDR_SIZE);
            m.get(TX_PACKETS_COUNT).inc();
            m.get(TX_COUNT).inc();
        }
        return false;
    }

    /**
     * Firecracker's {@code tx_spoofed_mac_count}: with a {@code guest_mac} set, a frame whose
     * source address is another is counted (and still sent, as Firecracker does). The source
     * address is read at {@code addr}, or, when {@code addr} is 0, at its place in the chain's
     * {@code n} iovecs (the guest may split the header and the frame across buffers).
     */
    private boolean sourceIsNotOurs(long addr, int n) {
        MemoryIO io = MemoryIO.getInstance();
        for (int k = 0; k < 6; k++) {
            long at = addr != 0 ? addr + k : chainAddress(VNET_HDR_SIZE + 6 + k, n);
            if (at == 0 || io.getByte(at) != mac[k]) {
                return at != 0;
            }
        }
        return false;
    }

    /** The host address of byte {@code offset} of the chain held in {@code iov[0..n)}, or 0 past its end. */
    private long chainAddress(long offset, int n) {
        for (int k = 0; k < n; k++) {
            long l = iov.length(k);
            if (offset < l) {
                return iov.base(k) + offset;
            }
            offset -= l;
        }
        return 0;
    }

    @Override
    public void close() {
        FrameInterceptor i = interceptor;
        if (i != null) {
            i.detach();
        }
        if (loop != null && !tapGone) {
            loop.unregister(tap.fd());
        }
        tap.close();
        rxLimiter.close();
        txLimiter.close();
    }
}
