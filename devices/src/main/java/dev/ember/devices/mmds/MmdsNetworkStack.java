package dev.ember.devices.mmds;

import static dev.ember.devices.mmds.Wire.*;

import com.kenai.jffi.MemoryIO;
import dev.ember.devices.net.FrameInterceptor;
import dev.ember.eventloop.EventLoop;
import dev.ember.eventloop.ThreadConfinement;
import dev.ember.eventloop.TimerFd;
import dev.ember.sys.LibC;
import java.util.function.LongSupplier;

/**
 * The guest side of the metadata service on one network interface: sits on the net device's
 * TX path and answers, in the VMM, ARP requests for the MMDS address and TCP to its port 80,
 * handing each connection's bytes to an {@link MmdsRequestHandler}. Every other frame (and
 * ARP for other addresses) goes to the TAP untouched.
 *
 * <p>Frames are copied once into a fixed scratch array and parsed in place; replies are built
 * in another fixed array; connection objects and their buffers are reused. Nothing here
 * allocates per frame (a reply's bytes come from the layer above, once per request).
 * Checksums of incoming segments are not verified: under VIRTIO_NET_F_CSUM the guest leaves
 * them partial, and the virtio header that says so is stripped before we see the frame.
 * Loop-confined, like the device it hooks.
 */
public final class MmdsNetworkStack implements FrameInterceptor {
    /** The MAC the MMDS answers ARP with (Firecracker's). */
    public static final long MMDS_MAC = 0x06_01_23_45_67_01L;
    public static final int MMDS_PORT = 80;
    private static final int MAX_IN_FRAME = 65550;
    private static final int MAX_OUT_FRAME = ETH_HLEN + IP_HLEN + TCP_HLEN + 4 + TcpConnection.MSS;

    private final int ipv4;
    private final MmdsRequestHandler handler;
    private final MmdsMetrics metrics;
    private final TcpLimits limits;
    private final LongSupplier clock;
    private final TcpConnection[] conns;
    private final ResetQueue resets;
    private final byte[] in = new byte[MAX_IN_FRAME];
    private final byte[] outFrame = new byte[MAX_OUT_FRAME];
    private final TcpConnection.SegmentWriter writer = this::writeSegment;

    private boolean arpPending;
    private long arpMac;
    private int arpIp;
    private int rr;
    private short ipId;
    private int isnCounter;

    private EventLoop loop;
    private Runnable rxReady;
    private TimerFd timer;
    private long armedFor = Long.MAX_VALUE;

    /**
     * @param ipv4    the MMDS address, e.g. 169.254.169.254 as 0xA9FEA9FE
     * @param handler what answers the bytes of each connection (HTTP against the store)
     * @param clock   monotonic nanoseconds ({@code System::nanoTime}; tests pass their own)
     */
    public MmdsNetworkStack(int ipv4, MmdsRequestHandler handler, MmdsMetrics metrics, TcpLimits limits, LongSupplier clock) {
        this.ipv4 = ipv4;
        this.handler = handler;
        this.metrics = metrics;
        this.limits = limits;
        this.clock = clock;
        this.conns = new TcpConnection[limits.maxConnections()];
        this.resets = new ResetQueue(limits.maxPendingResets());
        this.isnCounter = (int) (clock.getAsLong() ^ System.identityHashCode(this) * 0x9E3779B9L);
    }

    // ---- FrameInterceptor --------------------------------------------------------------

    @Override
    public void bind(EventLoop eventLoop, Runnable framesReady) {
        this.loop = eventLoop;
        this.rxReady = framesReady;
        this.timer = new TimerFd();
        eventLoop.register(timer.fd(), LibC.EPOLLIN, ev -> {
            timer.read();
            armedFor = Long.MAX_VALUE;
            if (runTimers()) {
                framesReady.run();
            }
            armTimer();
        });
    }

    @Override
    public void detach() {
        if (timer != null) {
            loop.unregister(timer.fd());
            timer.close();
            timer = null;
        }
    }

    @Override
    public boolean interceptTx(long frameAddress, int length) {
        ThreadConfinement.requireLoop(loop, "MmdsNetworkStack.interceptTx");
        MemoryIO io = MemoryIO.getInstance();
        if (length < ETH_HLEN) {
            metrics.rxBadEth.inc();
            return false;
        }
        int type = (io.getByte(frameAddress + ETH_TYPE) & 0xFF) << 8 | (io.getByte(frameAddress + ETH_TYPE + 1) & 0xFF);
        long dst;
        if (type == ETHERTYPE_IPV4 && length >= ETH_HLEN + IP_HLEN) {
            dst = frameAddress + ETH_HLEN + IP_DST;
        } else if (type == ETHERTYPE_ARP && length >= ETH_HLEN + ARP_LEN) {
            dst = frameAddress + ETH_HLEN + ARP_TPA;
        } else {
            return false;
        }
        if (io.getInt(dst) != Integer.reverseBytes(ipv4)) {
            return false;
        }
        int n = Math.min(length, in.length);
        io.getByteArray(frameAddress, in, 0, n);
        boolean taken = accept(in, n);
        armTimer();
        return taken;
    }

    @Override
    public int pollRx(long bufferAddress, int capacity) {
        ThreadConfinement.requireLoop(loop, "MmdsNetworkStack.pollRx");
        int n = nextFrame(outFrame);
        if (n == 0) {
            return 0;
        }
        armTimer();
        if (n > capacity) {
            metrics.txErrors.inc();
            return 0;
        }
        MemoryIO.getInstance().putByteArray(bufferAddress, outFrame, 0, n);
        return n;
    }

    // ---- frames in ---------------------------------------------------------------------

    /**
     * Takes a frame the guest sent (the whole Ethernet frame in {@code f[0, len)}).
     *
     * @return true if it was for the MMDS and is consumed, false to pass it to the TAP
     */
    boolean accept(byte[] f, int len) {
        if (len < ETH_HLEN) {
            metrics.rxBadEth.inc();
            return false;
        }
        int type = u16(f, ETH_TYPE);
        boolean taken;
        if (type == ETHERTYPE_ARP) {
            taken = acceptArp(f, len);
        } else if (type == ETHERTYPE_IPV4) {
            taken = acceptIpv4(f, len);
        } else {
            taken = false;
        }
        if (taken) {
            metrics.rxAccepted.inc();
        }
        return taken;
    }

    private boolean acceptArp(byte[] f, int len) {
        int a = ETH_HLEN;
        if (len < a + ARP_LEN || u16(f, a + ARP_HTYPE) != 1 || u16(f, a + ARP_PTYPE) != ETHERTYPE_IPV4
                || u8(f, a + ARP_HLEN) != 6 || u8(f, a + ARP_PLEN) != 4 || u16(f, a + ARP_OPER) != ARP_REQUEST
                || i32(f, a + ARP_TPA) != ipv4) {
            return false;
        }
        arpPending = true; // one slot: a newer request replaces an unanswered one
        arpMac = mac(f, a + ARP_SHA);
        arpIp = i32(f, a + ARP_SPA);
        return true;
    }

    private boolean acceptIpv4(byte[] f, int len) {
        int ip = ETH_HLEN;
        if (len < ip + IP_HLEN || i32(f, ip + IP_DST) != ipv4) {
            return false;
        }
        int ihl = (u8(f, ip + IP_VER_IHL) & 0x0F) * 4;
        int total = u16(f, ip + IP_TOTAL_LEN);
        int frag = u16(f, ip + IP_FRAG);
        if ((u8(f, ip + IP_VER_IHL) >>> 4) != 4 || ihl < IP_HLEN || total < ihl || ip + total > len
                || (frag & (IP_FLAG_MF | IP_FRAG_OFFSET_MASK)) != 0) {
            metrics.rxAcceptedErr.inc(); // for our address, but not a packet we can take
            return true;
        }
        if (u8(f, ip + IP_PROTO) != PROTO_TCP) {
            metrics.rxAcceptedUnusual.inc();
            return true;
        }
        int tcp = ip + ihl;
        int tcpLen = total - ihl;
        int off = tcpLen >= TCP_HLEN ? (u8(f, tcp + TCP_OFF) >>> 4) * 4 : 0;
        if (off < TCP_HLEN || off > tcpLen) {
            metrics.rxAcceptedErr.inc();
            return true;
        }
        onSegment(mac(f, ETH_SRC), i32(f, ip + IP_SRC), f, tcp, off, tcpLen - off);
        metrics.rxCount.inc();
        return true;
    }

    private void onSegment(long srcMac, int srcIp, byte[] f, int tcp, int hdrLen, int dataLen) {
        int sport = u16(f, tcp + TCP_SPORT);
        int dport = u16(f, tcp + TCP_DPORT);
        int seq = i32(f, tcp + TCP_SEQ);
        int ack = i32(f, tcp + TCP_ACK);
        int flags = u8(f, tcp + TCP_FLAGS);
        int window = u16(f, tcp + TCP_WIN);
        long now = clock.getAsLong();
        TcpConnection c = dport == MMDS_PORT ? find(srcIp, sport) : null;
        if (c == null) {
            if (dport == MMDS_PORT && (flags & (SYN | ACK | RST | FIN)) == SYN) {
                open(srcMac, srcIp, sport, seq, peerMss(f, tcp, hdrLen), window, now);
            } else if ((flags & RST) == 0) {
                refuse(srcMac, srcIp, sport, seq, ack, flags, dataLen);
            }
            return;
        }
        c.remoteMac = srcMac;
        TcpConnection.Outcome o = c.onSegment(flags, seq, ack, window, f, tcp + hdrLen, dataLen, now, handler);
        finish(c, o);
    }

    private void finish(TcpConnection c, TcpConnection.Outcome o) {
        if (o == TcpConnection.Outcome.ABORT) {
            queueReset(c.remoteMac, c.remoteIp, c.remotePort, c.sndNxt, c.rcvNxt, RST | ACK);
        }
        if (o != TcpConnection.Outcome.KEEP) {
            c.free();
            metrics.connectionsDestroyed.inc();
        }
    }

    private void open(long mac, int ip, int port, int seq, int mss, int window, long now) {
        TcpConnection slot = null;
        TcpConnection quietest = null;
        for (int i = 0; i < conns.length; i++) {
            TcpConnection c = conns[i];
            if (c == null) {
                c = conns[i] = new TcpConnection(limits.receiveBuffer()); // once per slot, kept
            }
            if (c.state == TcpConnection.State.FREE) {
                slot = c;
                break;
            }
            if (!c.busy() && (quietest == null || c.lastActivity - quietest.lastActivity < 0)) {
                quietest = c;
            }
        }
        if (slot == null) {
            if (quietest == null) {
                refuse(mac, ip, port, seq, 0, SYN, 0); // every connection is mid-reply
                return;
            }
            finish(quietest, TcpConnection.Outcome.ABORT);
            slot = quietest;
        }
        isnCounter += 0x3B9ACA07; // spread: successive connections never share sequence space
        slot.open(mac, ip, port, seq, mss, window, isnCounter ^ (int) now, now);
        metrics.connectionsCreated.inc();
    }

    /** RFC 793's reset for a segment that belongs to no connection. */
    private void refuse(long mac, int ip, int port, int seq, int ack, int flags, int dataLen) {
        if ((flags & ACK) != 0) {
            queueReset(mac, ip, port, ack, 0, RST);
        } else {
            int segLen = dataLen + ((flags & SYN) != 0 ? 1 : 0) + ((flags & FIN) != 0 ? 1 : 0);
            queueReset(mac, ip, port, 0, seq + segLen, RST | ACK);
        }
    }

    private void queueReset(long mac, int ip, int port, int seq, int ack, int flags) {
        if (!resets.offer(mac, ip, port, seq, ack, flags)) {
            metrics.txErrors.inc();
        }
    }

    private TcpConnection find(int ip, int port) {
        for (TcpConnection c : conns) {
            if (c != null && c.matches(ip, port)) {
                return c;
            }
        }
        return null;
    }

    private static int peerMss(byte[] f, int tcp, int hdrLen) {
        int o = tcp + TCP_HLEN;
        int end = tcp + hdrLen;
        while (o < end) {
            int kind = u8(f, o);
            if (kind == OPT_END) {
                break;
            }
            if (kind == OPT_NOP) {
                o++;
                continue;
            }
            if (o + 1 >= end) {
                break;
            }
            int l = u8(f, o + 1);
            if (l < 2 || o + l > end) {
                break;
            }
            if (kind == OPT_MSS && l == 4) {
                return u16(f, o + 2);
            }
            o += l;
        }
        return 0;
    }

    // ---- frames out --------------------------------------------------------------------

    /**
     * Writes the next frame for the guest into {@code buf} (at least {@link #maxFrameSize()}
     * bytes): an ARP reply first, then queued resets, then the connections in turn.
     *
     * @return the frame's length, 0 if there is nothing to send
     */
    int nextFrame(byte[] buf) {
        int n = 0;
        if (arpPending) {
            arpPending = false;
            n = writeArpReply(buf);
        } else if (!resets.isEmpty()) {
            n = writeTcp(buf, resets.mac(), resets.ip(), resets.port(), resets.flags(), resets.seq(), resets.ack(), 0,
                    null, 0, 0, false);
            resets.pop();
        } else {
            for (int k = 0; k < conns.length && n == 0; k++) {
                int i = (rr + k) % conns.length;
                TcpConnection c = conns[i];
                if (c != null && c.wantsToSend()) {
                    target = buf;
                    n = c.nextSegment(writer, clock.getAsLong());
                    target = null;
                    if (c.freeAfterAck) {
                        finish(c, TcpConnection.Outcome.FREE_SILENTLY);
                    }
                    rr = i + 1;
                }
            }
        }
        if (n > 0) {
            metrics.txCount.inc();
            metrics.txFrames.inc();
            metrics.txBytes.add(n);
        }
        return n;
    }

    public static int maxFrameSize() {
        return MAX_OUT_FRAME;
    }

    private byte[] target;

    private int writeSegment(TcpConnection c, int flags, int seq, byte[] data, int dataOff, int dataLen, boolean mss) {
        return writeTcp(target, c.remoteMac, c.remoteIp, c.remotePort, flags, seq, c.rcvNxt, c.window(), data, dataOff, dataLen, mss);
    }

    private int writeArpReply(byte[] b) {
        putMac(b, ETH_DST, arpMac);
        putMac(b, ETH_SRC, MMDS_MAC);
        put16(b, ETH_TYPE, ETHERTYPE_ARP);
        int a = ETH_HLEN;
        put16(b, a + ARP_HTYPE, 1);
        put16(b, a + ARP_PTYPE, ETHERTYPE_IPV4);
        b[a + ARP_HLEN] = 6;
        b[a + ARP_PLEN] = 4;
        put16(b, a + ARP_OPER, ARP_REPLY);
        putMac(b, a + ARP_SHA, MMDS_MAC);
        put32(b, a + ARP_SPA, ipv4);
        putMac(b, a + ARP_THA, arpMac);
        put32(b, a + ARP_TPA, arpIp);
        return a + ARP_LEN;
    }

    private int writeTcp(byte[] b, long dstMac, int dstIp, int dstPort, int flags, int seq, int ack, int window,
                         byte[] data, int dataOff, int dataLen, boolean mssOption) {
        putMac(b, ETH_DST, dstMac);
        putMac(b, ETH_SRC, MMDS_MAC);
        put16(b, ETH_TYPE, ETHERTYPE_IPV4);
        int ip = ETH_HLEN;
        int tcp = ip + IP_HLEN;
        int hdr = TCP_HLEN + (mssOption ? 4 : 0);
        int total = IP_HLEN + hdr + dataLen;
        b[ip + IP_VER_IHL] = 0x45;
        b[ip + 1] = 0;
        put16(b, ip + IP_TOTAL_LEN, total);
        put16(b, ip + IP_ID, ipId++);
        put16(b, ip + IP_FRAG, IP_FLAG_DF);
        b[ip + IP_TTL] = 64;
        b[ip + IP_PROTO] = PROTO_TCP;
        put16(b, ip + IP_CSUM, 0);
        put32(b, ip + IP_SRC, ipv4);
        put32(b, ip + IP_DST, dstIp);
        put16(b, ip + IP_CSUM, fold(sum(b, ip, IP_HLEN, 0)));
        put16(b, tcp + TCP_SPORT, MMDS_PORT);
        put16(b, tcp + TCP_DPORT, dstPort);
        put32(b, tcp + TCP_SEQ, seq);
        put32(b, tcp + TCP_ACK, ack);
        b[tcp + TCP_OFF] = (byte) ((hdr / 4) << 4);
        b[tcp + TCP_FLAGS] = (byte) flags;
        put16(b, tcp + TCP_WIN, window);
        put16(b, tcp + TCP_CSUM, 0);
        put16(b, tcp + TCP_URG, 0);
        if (mssOption) {
            b[tcp + TCP_HLEN] = OPT_MSS;
            b[tcp + TCP_HLEN + 1] = 4;
            put16(b, tcp + TCP_HLEN + 2, TcpConnection.MSS);
        }
        if (dataLen > 0) {
            System.arraycopy(data, dataOff, b, tcp + hdr, dataLen);
        }
        put16(b, tcp + TCP_CSUM, tcpChecksum(b, tcp, hdr + dataLen, ipv4, dstIp));
        return ETH_HLEN + total;
    }

    // ---- timers ------------------------------------------------------------------------

    /**
     * Runs every connection whose deadline has passed (retransmission, zero-window probe,
     * giving up); true if any now has a frame to send.
     */
    boolean runTimers() {
        long now = clock.getAsLong();
        boolean send = false;
        for (TcpConnection c : conns) {
            if (c != null && c.state != TcpConnection.State.FREE && c.deadline - now <= 0) {
                TcpConnection.Outcome o = c.onTimer(now);
                finish(c, o);
                send |= o == TcpConnection.Outcome.ABORT || c.wantsToSend();
            }
        }
        return send;
    }

    /** The earliest connection deadline, {@code Long.MAX_VALUE} if none. */
    long nextDeadline() {
        long d = Long.MAX_VALUE;
        for (TcpConnection c : conns) {
            if (c != null && c.state != TcpConnection.State.FREE && c.deadline < d) {
                d = c.deadline;
            }
        }
        return d;
    }

    private void armTimer() {
        if (timer == null) {
            return;
        }
        long d = nextDeadline();
        if (d == armedFor) {
            return;
        }
        armedFor = d;
        if (d == Long.MAX_VALUE) {
            timer.disarm();
        } else {
            timer.arm(Math.max(1, d - clock.getAsLong()), 0);
        }
    }

    /** Live connections (for tests and the snapshot note in docs). */
    int connectionCount() {
        int n = 0;
        for (TcpConnection c : conns) {
            if (c != null && c.state != TcpConnection.State.FREE) {
                n++;
            }
        }
        return n;
    }

    int pendingResets() {
        return resets.size();
    }

    /** Whether the stack has a frame waiting (so a caller knows to poll). */
    boolean hasFrame() {
        if (arpPending || !resets.isEmpty()) {
            return true;
        }
        for (TcpConnection c : conns) {
            if (c != null && c.wantsToSend()) {
                return true;
            }
        }
        return false;
    }
}
