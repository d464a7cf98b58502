package dev.ember.devices.virtio.vsock;

import static dev.ember.metrics.FirecrackerMetrics.Vsock.CONNS_ADDED;
import static dev.ember.metrics.FirecrackerMetrics.Vsock.CONNS_KILLED;
import static dev.ember.metrics.FirecrackerMetrics.Vsock.CONNS_REMOVED;
import static dev.ember.metrics.FirecrackerMetrics.Vsock.CONN_EVENT_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.Vsock.MUXER_EVENT_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.Vsock.RX_BYTES_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Vsock.RX_READ_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.Vsock.TX_BYTES_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Vsock.TX_FLUSH_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.Vsock.TX_WRITE_FAILS;

import dev.ember.devices.virtio.DescriptorChain;
import dev.ember.devices.virtio.DeviceCounters;
import dev.ember.devices.virtio.IoVecArray;
import dev.ember.devices.virtio.Virtio;
import dev.ember.devices.virtio.vsock.VsockConnection.State;
import dev.ember.eventloop.EventLoop;
import dev.ember.eventloop.ThreadConfinement;
import dev.ember.eventloop.TimerFd;
import dev.ember.log.Log;
import dev.ember.metrics.FirecrackerMetrics.Vsock;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import dev.ember.sys.NativeMemory;

/**
 * Firecracker's hybrid vsock host side: guest streams multiplexed onto Unix sockets.
 *
 * <ul>
 * <li>Host-initiated: a host process connects to {@code uds_path} and writes
 *     {@code CONNECT <port>\n}; we send the guest a REQUEST from a local port of ours, and on its
 *     RESPONSE answer the host {@code OK <local port>\n}; from then on the socket is the stream.
 * <li>Guest-initiated: a REQUEST to (CID 2, port P) connects to {@code <uds_path>_<P>}; a missing
 *     or refusing listener is answered with RST.
 * </ul>
 *
 * <p>The device asks {@link #emit} for one packet per free RX buffer and hands every TX packet
 * to {@link #onGuestPacket}. Host sockets are watched for input only while the guest has
 * credit and no read is queued, and for output only while guest bytes wait in a
 * {@link HostTxBuffer}; so a host peer that stops reading, or a guest that stops giving credit,
 * holds up its own connection and nothing else, and the loop never spins on a socket it cannot
 * serve. Bounds: {@link #MAX_CONNECTIONS} connections (including those still sending their
 * CONNECT line), {@link #MAX_TX_BUFFERS} send buffers of {@link VsockConnection#BUF_ALLOC} bytes,
 * {@link #RST_RING} queued replies to packets for no connection, {@link #ANSWER_TIMEOUT_NANOS}
 * for a host process to send its CONNECT line or the guest to answer a REQUEST, and
 * {@link #SHUTDOWN_TIMEOUT_NANOS} for a close to finish once both directions are shut (the
 * guest's RST, or a host socket taking a closed guest's last bytes) before the connection is
 * reset (Firecracker's 2 s each), checked by a timer that runs only while such a wait exists.
 * Firecracker keeps the closing connections in a bounded kill queue and walks its connection map
 * when that queue overflows ({@code killq_resync}); the sweep here walks the table (at most
 * {@link #MAX_CONNECTIONS} slots) every {@link #SWEEP_NANOS} instead, so there is no queue to
 * fall out of step. Event-loop thread only.
 */
final class VsockMuxer {
    private static final System.Logger LOG = Log.logger(VsockMuxer.class);

    /** Firecracker's limit on concurrent connections. */
    static final int MAX_CONNECTIONS = 1023;
    /** Connections that may hold a send buffer at once (16 MiB in all); one more is reset. */
    static final int MAX_TX_BUFFERS = 256;
    /** RSTs for packets that match no connection, waiting for RX buffers; more are dropped. */
    static final int RST_RING = 64;
    /** Largest payload of one RX packet (the guest's buffers are smaller in practice). */
    static final int MAX_PAYLOAD = 64 * 1024;
    /** Host-initiated connections get local ports from here up, clear of the ports guests use. */
    static final int FIRST_LOCAL_PORT = 1 << 30;
    /** How long a host process may take to send its CONNECT line, and the guest to answer our REQUEST. */
    static final long ANSWER_TIMEOUT_NANOS = 2_000_000_000L;
    /**
     * How long a connection may take to end once both directions are shut: the guest's RST after
     * our SHUTDOWN, or the host socket taking what a guest that closed still had in flight
     * (Firecracker's CONN_SHUTDOWN_TIMEOUT_MS). Then it is reset, so a guest that never answers or
     * a host peer that never reads cannot keep a connection slot, its socket and its buffer.
     */
    static final long SHUTDOWN_TIMEOUT_NANOS = 2_000_000_000L;
    private static final long SWEEP_NANOS = 500_000_000L;
    /** Connections accepted per listener wake-up before yielding to other fds (level-triggered). */
    private static final int ACCEPT_BATCH = 16;

    private final long guestCid;
    private final String udsPath;
    private final int listenFd;
    private final DeviceCounters<Vsock> m;
    private final ConnectionTable table = new ConnectionTable(MAX_CONNECTIONS);
    private final Set<VsockConnection> awaitingLine = new HashSet<>();
    private final IoVecArray iov = new IoVecArray(Virtio.MAX_QUEUE_SIZE);
    private final NativeMemory scratch = Native.allocate(32);
    private final int[] rstSrc = new int[RST_RING];
    private final int[] rstDst = new int[RST_RING];
    private int rstHead;
    private int rstCount;
    private VsockConnection pendHead;
    private VsockConnection pendTail;
    private int txBuffers;
    private int nextLocalPort = FIRST_LOCAL_PORT;
    private EventLoop loop;
    private Runnable rxReady;
    private TimerFd sweepTimer;
    private boolean sweepArmed;

    /** Binds and listens on {@code udsPath}; throws {@link VsockException} when it cannot. */
    VsockMuxer(long guestCid, String udsPath, DeviceCounters<Vsock> metrics) {
        this.guestCid = guestCid;
        this.udsPath = udsPath;
        this.m = metrics;
        this.listenFd = HostSockets.listen(udsPath);
    }

    /** Starts accepting on the loop; {@code rxReady} is called when packets for the guest are queued. */
    void attach(EventLoop eventLoop, Runnable onRxReady) {
        this.loop = eventLoop;
        this.rxReady = onRxReady;
        eventLoop.register(listenFd, LibC.EPOLLIN, ev -> onListenerEvent());
        sweepTimer = new TimerFd();
        eventLoop.register(sweepTimer.fd(), LibC.EPOLLIN, ev -> sweep());
    }

    private void setDeadline(VsockConnection c) {
        setDeadline(c, ANSWER_TIMEOUT_NANOS);
    }

    /** Both directions are shut: the connection ends within {@link #SHUTDOWN_TIMEOUT_NANOS}, reset if need be. */
    private void startClosing(VsockConnection c) {
        if (!c.closing) {
            c.closing = true;
            setDeadline(c, SHUTDOWN_TIMEOUT_NANOS);
        }
    }

    private void setDeadline(VsockConnection c, long timeoutNanos) {
        c.deadline = System.nanoTime() + timeoutNanos;
        if (!sweepArmed) {
            sweepTimer.arm(SWEEP_NANOS, SWEEP_NANOS);
            sweepArmed = true;
        }
    }

    /** Ends connections whose peer did not answer, or whose close did not finish, in time; stops the timer when none is waiting. */
    private void sweep() {
        ThreadConfinement.requireLoop(loop, "VsockMuxer.sweep");
        sweepTimer.read();
        long now = System.nanoTime();
        boolean waiting = false;
        for (java.util.Iterator<VsockConnection> it = awaitingLine.iterator(); it.hasNext(); ) {
            VsockConnection c = it.next();
            if (now - c.deadline >= 0) {
                it.remove();
                closeHost(c);
                m.get(CONNS_KILLED).inc();
            } else {
                waiting = true;
            }
        }
        for (int i = 0; i < table.capacity(); i++) {
            VsockConnection c = table.slot(i);
            if (c == null || c.deadline == 0) {
                continue;
            }
            if (c.state == State.CLOSED || (c.state != State.LOCAL_INIT && !c.closing)) {
                c.deadline = 0;
            } else if (now - c.deadline >= 0) {
                c.deadline = 0;
                if (LOG.isLoggable(Level.DEBUG)) {
                    LOG.log(Level.DEBUG, c.closing ? "vsock: the connection of guest port {0} did not finish closing in time; reset"
                            : "vsock: the guest did not answer a connection to port {0} in time; reset", Integer.toUnsignedString(c.peerPort));
                }
                kill(c); // marks it closed; it leaves the table once its RST is sent
            } else {
                waiting = true;
            }
        }
        if (!waiting) {
            sweepTimer.disarm();
            sweepArmed = false;
        }
        rxReady.run();
    }

    int connections() {
        return table.size() + awaitingLine.size();
    }

    boolean hasPending() {
        return rstCount > 0 || pendHead != null;
    }

    // ---- host side ---------------------------------------------------------------------------

    private void onListenerEvent() {
        ThreadConfinement.requireLoop(loop, "VsockMuxer.onListenerEvent");
        for (int i = 0; i < ACCEPT_BATCH; i++) {
            int fd = HostSockets.accept(listenFd);
            if (fd < 0) {
                if (fd != -LibC.EAGAIN) {
                    m.get(MUXER_EVENT_FAILS).inc();
                }
                return;
            }
            if (connections() >= MAX_CONNECTIONS) {
                HostSockets.close(fd);
                m.get(CONNS_KILLED).inc();
                if (LOG.isLoggable(Level.DEBUG)) {
                    LOG.log(Level.DEBUG, "vsock: refused a host connection: {0} connections open", MAX_CONNECTIONS);
                }
                continue;
            }
            VsockConnection c = new VsockConnection(fd, State.AWAIT_CONNECT_LINE);
            awaitingLine.add(c);
            register(c, LibC.EPOLLIN);
            setDeadline(c);
        }
    }

    private void register(VsockConnection c, int mask) {
        loop.register(c.fd, mask, ev -> onHostEvent(c, ev));
        c.armedMask = mask;
    }

    private void onHostEvent(VsockConnection c, int events) {
        ThreadConfinement.requireLoop(loop, "VsockMuxer.onHostEvent");
        if (c.state == State.AWAIT_CONNECT_LINE) {
            readConnectLine(c);
        } else if (c.state != State.CLOSED) {
            if ((events & (LibC.EPOLLERR | LibC.EPOLLHUP)) != 0 && !c.hup) {
                // Reported whatever the mask: stop watching, read what is left until end of stream.
                c.hup = true;
                loop.unregister(c.fd);
                c.armedMask = 0;
            }
            boolean toFlush = c.txBuf != null && !c.txBuf.isEmpty();
            if ((events & LibC.EPOLLOUT) != 0 && !toFlush) {
                m.get(CONN_EVENT_FAILS).inc(); // Firecracker's name for a write-ready event with nothing to write
            }
            if (toFlush && ((events & LibC.EPOLLOUT) != 0 || c.hup)) {
                flushToHost(c);
            }
            if (c.state == State.ESTABLISHED && (events & (LibC.EPOLLIN | LibC.EPOLLERR | LibC.EPOLLHUP)) != 0 && !c.hostEof) {
                c.wantsRead = true;
                enqueue(c);
            } else if (c.state == State.ESTABLISHED && c.hostEof && c.hup && !c.closing) {
                // Half-closed before, now gone altogether: the guest can send nothing more either.
                c.shutdownFlags = VsockPacket.SHUTDOWN_SEND | VsockPacket.SHUTDOWN_RCV;
                owe(c, VsockConnection.P_SHUTDOWN);
                startClosing(c);
            }
            updateArming(c);
        }
        rxReady.run();
    }

    private void readConnectLine(VsockConnection c) {
        while (true) {
            long n = HostSockets.read(c.fd, scratch.address(), 1);
            if (n == -LibC.EAGAIN) {
                return;
            }
            long port = n == 1 ? c.feedConnectLine(scratch.getByte(0) & 0xFF) : -2;
            if (port == -1) {
                continue;
            }
            awaitingLine.remove(c);
            if (port < 0) {
                if (LOG.isLoggable(Level.DEBUG)) {
                    LOG.log(Level.DEBUG, "vsock: host connection closed: no well-formed ''CONNECT <port>'' line");
                }
                closeHost(c);
                return;
            }
            c.peerPort = (int) port;
            c.localPort = allocateLocalPort(c.peerPort);
            c.state = State.LOCAL_INIT;
            c.pending |= VsockConnection.P_REQUEST;
            setDeadline(c); // from now: a guest without the driver never answers
            table.put(c);
            m.get(CONNS_ADDED).inc();
            updateArming(c); // not read until the guest accepts
            enqueue(c);
            return;
        }
    }

    private int allocateLocalPort(int peerPort) {
        while (true) {
            int p = nextLocalPort;
            nextLocalPort = nextLocalPort == -1 ? FIRST_LOCAL_PORT : nextLocalPort + 1;
            if (table.get(VsockConnection.key(p, peerPort)) == null) {
                return p;
            }
        }
    }

    /** Watches the host socket for exactly what the connection can serve now. */
    private void updateArming(VsockConnection c) {
        if (c.hup || c.state == State.CLOSED) {
            return;
        }
        int mask = 0;
        if (c.state == State.ESTABLISHED) {
            if (!c.wantsRead && !c.hostEof && !c.guestShutRecv && c.peerCredit() > 0) {
                mask |= LibC.EPOLLIN;
            }
            if (c.txBuf != null && !c.txBuf.isEmpty()) {
                mask |= LibC.EPOLLOUT;
            }
        }
        if (mask != c.armedMask) {
            loop.modify(c.fd, mask);
            c.armedMask = mask;
        }
    }

    private void flushToHost(VsockConnection c) {
        HostTxBuffer b = c.txBuf;
        if (b == null || b.isEmpty()) {
            return;
        }
        long n = b.flushTo(c.fd);
        if (n < 0) {
            m.get(TX_FLUSH_FAILS).inc();
            kill(c);
            return;
        }
        c.fwdCnt += n;
        if (c.creditUpdateDue()) {
            owe(c, VsockConnection.P_CREDIT_UPDATE);
        }
        if (b.isEmpty()) {
            afterHostDrained(c);
        }
    }

    /** Everything the guest sent reached the host socket: carry out a SHUTDOWN the guest sent meanwhile. */
    private void afterHostDrained(VsockConnection c) {
        if (c.guestShutSend && c.guestShutRecv) {
            endWithRst(c); // the guest closed; its close waits for our RST
        } else if (c.guestShutSend) {
            HostSockets.shutdownWrite(c.fd);
        }
    }

    // ---- guest side --------------------------------------------------------------------------

    /**
     * A packet the guest put on the TX queue. The device checked that the chain holds the
     * header and {@code pkt.len} payload bytes after it.
     */
    void onGuestPacket(VsockPacket pkt, DescriptorChain chain) {
        ThreadConfinement.requireLoop(loop, "VsockMuxer.onGuestPacket");
        if (pkt.dstCid != VsockPacket.HOST_CID || pkt.srcCid != guestCid) {
            if (LOG.isLoggable(Level.DEBUG)) {
                LOG.log(Level.DEBUG, "vsock: dropped a packet from CID {0} to CID {1}", pkt.srcCid, pkt.dstCid);
            }
            return;
        }
        VsockConnection c = pkt.type == VsockPacket.TYPE_STREAM ? table.get(VsockConnection.key(pkt.dstPort, pkt.srcPort)) : null;
        if (c == null) {
            if (pkt.type == VsockPacket.TYPE_STREAM && pkt.op == VsockPacket.OP_REQUEST) {
                connectToHost(pkt);
            } else if (pkt.op != VsockPacket.OP_RST) {
                replyRst(pkt);
            }
            return;
        }
        if (c.state == State.CLOSED) {
            return; // our RST is on its way
        }
        c.peerBufAlloc = pkt.bufAlloc;
        c.peerFwdCnt = pkt.fwdCnt;
        if (pkt.op == VsockPacket.OP_RST) {
            remove(c);
            return;
        }
        if (c.state == State.LOCAL_INIT) {
            if (pkt.op == VsockPacket.OP_RESPONSE) {
                c.deadline = 0;
                establishHostInitiated(c);
            } else {
                kill(c);
            }
            return;
        }
        switch (pkt.op) {
            case VsockPacket.OP_RW -> onGuestData(c, pkt, chain);
            case VsockPacket.OP_CREDIT_UPDATE -> { }
            case VsockPacket.OP_CREDIT_REQUEST -> owe(c, VsockConnection.P_CREDIT_UPDATE);
            case VsockPacket.OP_SHUTDOWN -> onGuestShutdown(c, pkt.flags);
            default -> kill(c); // REQUEST/RESPONSE on an open connection, or an unknown op
        }
        if (c.state != State.CLOSED) {
            if (c.wantsRead && c.peerCredit() > 0) {
                enqueue(c); // a read waiting for credit can go now
            }
            updateArming(c);
        }
    }

    private void connectToHost(VsockPacket pkt) {
        if (connections() >= MAX_CONNECTIONS) {
            replyRst(pkt);
            return;
        }
        String path = udsPath + "_" + Integer.toUnsignedString(pkt.dstPort);
        int fd = HostSockets.connect(path);
        if (fd < 0) {
            if (LOG.isLoggable(Level.DEBUG)) {
                LOG.log(Level.DEBUG, "vsock: guest connect to port {0}: {1}: {2}", Integer.toUnsignedString(pkt.dstPort), path,
                        Native.LIBC.strerror(-fd));
            }
            replyRst(pkt);
            return;
        }
        VsockConnection c = new VsockConnection(fd, State.ESTABLISHED);
        c.localPort = pkt.dstPort;
        c.peerPort = pkt.srcPort;
        c.peerBufAlloc = pkt.bufAlloc;
        c.peerFwdCnt = pkt.fwdCnt;
        table.put(c);
        m.get(CONNS_ADDED).inc();
        register(c, 0);
        owe(c, VsockConnection.P_RESPONSE);
        updateArming(c);
    }

    private void establishHostInitiated(VsockConnection c) {
        byte[] ok = ("OK " + Integer.toUnsignedString(c.localPort) + "\n").getBytes(StandardCharsets.US_ASCII);
        scratch.put(0, ok, 0, ok.length);
        if (HostSockets.send(c.fd, scratch.address(), ok.length) != ok.length) {
            kill(c); // the host peer went away while the guest answered (a fresh socket has room for 15 bytes)
            return;
        }
        c.state = State.ESTABLISHED;
        updateArming(c);
    }

    private void onGuestData(VsockConnection c, VsockPacket pkt, DescriptorChain chain) {
        int len = (int) pkt.len;
        if (c.guestShutSend || c.unforwarded() + len > VsockConnection.BUF_ALLOC) {
            if (LOG.isLoggable(Level.DEBUG)) {
                LOG.log(Level.DEBUG, "vsock: guest port {0} sent {1} bytes past its credit or its shutdown; reset",
                        Integer.toUnsignedString(c.peerPort), len);
            }
            kill(c);
            return;
        }
        c.rxCnt += len;
        m.get(TX_BYTES_COUNT).add(len);
        if (len == 0) {
            return;
        }
        int n = chain.toIovecs(false, VsockPacket.HDR_SIZE, len, iov, 0);
        for (int i = 0; i < n; i++) {
            long base = iov.base(i);
            long l = iov.length(i);
            long sent = 0;
            if (c.txBuf == null || c.txBuf.isEmpty()) {
                long r = HostSockets.send(c.fd, base, l);
                if (r < 0 && r != -LibC.EAGAIN) {
                    m.get(TX_WRITE_FAILS).inc();
                    kill(c);
                    return;
                }
                sent = Math.max(0, r);
                c.fwdCnt += sent;
            }
            if (sent < l && !buffer(c, base + sent, (int) (l - sent))) {
                return;
            }
        }
        if (c.creditUpdateDue()) {
            owe(c, VsockConnection.P_CREDIT_UPDATE);
        }
    }

    /** Keeps bytes the host socket did not take; false (and the connection reset) when no buffer is left. */
    private boolean buffer(VsockConnection c, long src, int len) {
        if (c.txBuf == null) {
            if (txBuffers >= MAX_TX_BUFFERS) {
                m.get(TX_FLUSH_FAILS).inc();
                kill(c);
                return false;
            }
            c.txBuf = new HostTxBuffer(VsockConnection.BUF_ALLOC);
            txBuffers++;
        }
        c.txBuf.put(src, len); // credit keeps unforwarded bytes within the buffer
        return true;
    }

    private void onGuestShutdown(VsockConnection c, int flags) {
        if ((flags & VsockPacket.SHUTDOWN_RCV) != 0) {
            c.guestShutRecv = true;
            c.wantsRead = false;
        }
        if ((flags & VsockPacket.SHUTDOWN_SEND) != 0) {
            c.guestShutSend = true;
        }
        if (c.txBuf == null || c.txBuf.isEmpty()) {
            afterHostDrained(c);
        } else if (c.guestShutSend && c.guestShutRecv) {
            startClosing(c); // the host socket has this long to take the rest
        }
    }

    // ---- towards the guest -------------------------------------------------------------------

    private void owe(VsockConnection c, int packet) {
        c.pending |= packet;
        enqueue(c);
    }

    private void enqueue(VsockConnection c) {
        if (c.queued) {
            return;
        }
        c.queued = true;
        c.nextPending = null;
        if (pendTail == null) {
            pendHead = c;
        } else {
            pendTail.nextPending = c;
        }
        pendTail = c;
    }

    private VsockConnection dequeue() {
        VsockConnection c = pendHead;
        pendHead = c.nextPending;
        if (pendHead == null) {
            pendTail = null;
        }
        c.nextPending = null;
        c.queued = false;
        return c;
    }

    private void replyRst(VsockPacket pkt) {
        if (rstCount == RST_RING) {
            m.get(MUXER_EVENT_FAILS).inc();
            return;
        }
        int i = (rstHead + rstCount) % RST_RING;
        rstSrc[i] = pkt.dstPort;
        rstDst[i] = pkt.srcPort;
        rstCount++;
    }

    /**
     * Writes the next packet for the guest into {@code chain}, whose writable area holds more
     * than a header.
     *
     * @return the bytes written (header and payload), or -1 when nothing is left to send
     */
    long emit(DescriptorChain chain, VsockPacket pkt) {
        ThreadConfinement.requireLoop(loop, "VsockMuxer.emit");
        if (rstCount > 0) {
            pkt.setOutgoing(guestCid, VsockPacket.OP_RST, rstSrc[rstHead], rstDst[rstHead], 0, 0, 0);
            rstHead = (rstHead + 1) % RST_RING;
            rstCount--;
            pkt.writeTo(chain);
            return VsockPacket.HDR_SIZE;
        }
        while (pendHead != null) {
            VsockConnection c = dequeue();
            long n = emitFor(c, chain, pkt);
            if (c.state != State.CLOSED && (c.pending != 0 || (c.wantsRead && c.hup && c.peerCredit() > 0))) {
                enqueue(c);
            }
            if (n >= 0) {
                return n;
            }
        }
        return -1;
    }

    private long emitFor(VsockConnection c, DescriptorChain chain, VsockPacket pkt) {
        if (c.state == State.CLOSED) {
            if ((c.pending & VsockConnection.P_RST) == 0) {
                return -1; // removed while queued
            }
            c.pending = 0;
            table.remove(c.key());
            m.get(CONNS_REMOVED).inc();
            return header(c, chain, pkt, VsockPacket.OP_RST, 0);
        }
        int p = c.pending;
        if ((p & VsockConnection.P_REQUEST) != 0) {
            c.pending &= ~VsockConnection.P_REQUEST;
            return header(c, chain, pkt, VsockPacket.OP_REQUEST, 0);
        }
        if ((p & VsockConnection.P_RESPONSE) != 0) {
            c.pending &= ~VsockConnection.P_RESPONSE;
            return header(c, chain, pkt, VsockPacket.OP_RESPONSE, 0);
        }
        if ((p & VsockConnection.P_SHUTDOWN) != 0) {
            c.pending &= ~VsockConnection.P_SHUTDOWN;
            return header(c, chain, pkt, VsockPacket.OP_SHUTDOWN, c.shutdownFlags);
        }
        if ((p & VsockConnection.P_CREDIT_UPDATE) != 0) {
            c.pending &= ~VsockConnection.P_CREDIT_UPDATE;
            return header(c, chain, pkt, VsockPacket.OP_CREDIT_UPDATE, 0);
        }
        if ((p & VsockConnection.P_CREDIT_REQUEST) != 0) {
            c.pending &= ~VsockConnection.P_CREDIT_REQUEST;
            return header(c, chain, pkt, VsockPacket.OP_CREDIT_REQUEST, 0);
        }
        if (!c.wantsRead || c.state != State.ESTABLISHED) {
            return -1;
        }
        if (c.guestShutRecv || c.hostEof) {
            c.wantsRead = false;
            return -1;
        }
        long credit = c.peerCredit();
        if (credit == 0) {
            return -1; // stays wanted; the guest's next CREDIT_UPDATE queues it again
        }
        return readFromHost(c, chain, pkt, credit);
    }

    private long readFromHost(VsockConnection c, DescriptorChain chain, VsockPacket pkt, long credit) {
        long max = Math.min(Math.min(chain.writableBytes() - VsockPacket.HDR_SIZE, credit), MAX_PAYLOAD);
        int n = chain.toIovecs(true, VsockPacket.HDR_SIZE, max, iov, 0);
        long r = HostSockets.readv(c.fd, iov.address(), n);
        if (r == -LibC.EAGAIN) {
            c.wantsRead = false;
            updateArming(c);
            return -1;
        }
        if (r == 0) {
            // The host peer ended its side: tell the guest it gets no more. Both ways when the guest
            // has already shut its side, or the host peer is gone altogether (hang-up): the guest's
            // close then answers RST, and has SHUTDOWN_TIMEOUT_NANOS to do so.
            c.wantsRead = false;
            c.hostEof = true;
            boolean both = c.guestShutSend || c.hup;
            int flags = VsockPacket.SHUTDOWN_SEND | (both ? VsockPacket.SHUTDOWN_RCV : 0);
            if (both) {
                startClosing(c);
            }
            updateArming(c);
            return header(c, chain, pkt, VsockPacket.OP_SHUTDOWN, flags);
        }
        if (r < 0) {
            m.get(RX_READ_FAILS).inc();
            m.get(CONNS_KILLED).inc();
            remove(c);
            return header(c, chain, pkt, VsockPacket.OP_RST, 0);
        }
        c.txCnt += r;
        m.get(RX_BYTES_COUNT).add(r);
        if (!c.hup) {
            c.wantsRead = false; // epoll says when there is more
        }
        if (c.peerCredit() == 0) {
            c.pending |= VsockConnection.P_CREDIT_REQUEST;
        }
        updateArming(c);
        pkt.setOutgoing(guestCid, VsockPacket.OP_RW, c.localPort, c.peerPort, 0, VsockConnection.BUF_ALLOC, (int) c.fwdCnt);
        pkt.len = r;
        c.lastFwdCntSent = c.fwdCnt;
        pkt.writeTo(chain);
        return VsockPacket.HDR_SIZE + r;
    }

    private long header(VsockConnection c, DescriptorChain chain, VsockPacket pkt, int op, int flags) {
        pkt.setOutgoing(guestCid, op, c.localPort, c.peerPort, flags, VsockConnection.BUF_ALLOC, (int) c.fwdCnt);
        c.lastFwdCntSent = c.fwdCnt;
        pkt.writeTo(chain);
        return VsockPacket.HDR_SIZE;
    }

    // ---- ending connections ------------------------------------------------------------------

    /** Ends the connection on the host and owes the guest an RST; it leaves the table once that is sent. */
    private void kill(VsockConnection c) {
        if (c.state != State.CLOSED) {
            m.get(CONNS_KILLED).inc();
            endWithRst(c);
        }
    }

    private void endWithRst(VsockConnection c) {
        closeHost(c);
        c.state = State.CLOSED;
        c.pending = VsockConnection.P_RST;
        c.wantsRead = false;
        enqueue(c);
    }

    /** The guest reset the connection: nothing is owed. */
    private void remove(VsockConnection c) {
        closeHost(c);
        c.state = State.CLOSED;
        c.pending = 0;
        table.remove(c.key());
        m.get(CONNS_REMOVED).inc();
    }

    private void closeHost(VsockConnection c) {
        if (!c.hup && loop != null) {
            loop.unregister(c.fd);
        }
        c.hup = true;
        c.armedMask = 0;
        HostSockets.close(c.fd);
        if (c.txBuf != null) {
            c.txBuf = null;
            txBuffers--;
        }
    }

    /** The driver reset the device: every connection ends without packets (the queues are gone). */
    void reset() {
        for (VsockConnection c : table.all()) {
            if (c.state != State.CLOSED) {
                closeHost(c);
                c.state = State.CLOSED;
            }
            c.pending = 0;
            m.get(CONNS_REMOVED).inc();
        }
        table.clear();
        for (VsockConnection c : awaitingLine) {
            closeHost(c);
        }
        awaitingLine.clear();
        pendHead = pendTail = null;
        rstCount = 0;
    }

    /** Releases every socket and removes {@code uds_path}. */
    void close() {
        reset();
        if (loop != null) {
            loop.unregister(listenFd);
        }
        HostSockets.close(listenFd);
        Native.LIBC.unlink(udsPath);
        if (sweepTimer != null) {
            if (loop != null) {
                loop.unregister(sweepTimer.fd());
            }
            sweepTimer.close();
        }
    }
}
