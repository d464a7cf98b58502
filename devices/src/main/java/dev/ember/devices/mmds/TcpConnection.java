package dev.ember.devices.mmds;

import static dev.ember.devices.mmds.Wire.seqLe;
import static dev.ember.devices.mmds.Wire.seqLt;

/**
 * One passive TCP connection of the MMDS stack (the VMM is always the server). Sequence space
 * on our side: {@code iss}, then the bytes of each reply in turn ({@code out}, starting at
 * {@code outBase}), then one FIN at {@code sndEnd}. Retransmission is go-back-N from
 * {@code sndUna} with an exponentially backed-off timeout; a zero window is probed one byte at
 * a time on the same timer. Received bytes go to a fixed buffer whose free space is the window
 * we advertise; out-of-order segments are dropped and answered with a duplicate ACK.
 * Loop-confined (the stack's caller is the event loop).
 */
final class TcpConnection {
    static final int MSS = 1460;
    static final int DEFAULT_PEER_MSS = 536;
    static final long RTO_INITIAL_NANOS = 500_000_000L;
    static final long RTO_MAX_NANOS = 8_000_000_000L;
    static final int MAX_RETRIES = 7;
    /** After our FIN was acknowledged, how long the guest may take to send its own. */
    static final long FIN_WAIT_NANOS = 30_000_000_000L;

    enum State { FREE, SYN_RECEIVED, ESTABLISHED }

    /** What the stack must do after an event. */
    enum Outcome { KEEP, FREE_SILENTLY, ABORT }

    final byte[] rx;
    State state = State.FREE;
    long remoteMac;
    int remoteIp;
    int remotePort;

    int iss;
    int sndUna;
    int sndNxt;
    int sndMax;
    int sndEnd;
    int peerWindow;
    int mss;
    int rcvNxt;
    int rxLen;

    byte[] out;
    int outBase;
    boolean finQueued;
    boolean peerFin;
    boolean ackPending;
    boolean synAckDue;
    boolean probeDue;
    /** Both FINs exchanged: free once the last ACK is written. */
    boolean freeAfterAck;
    /** Bytes arrived or a reply completed since the layer above last looked: worth asking it again. */
    boolean unseen;

    long rto;
    int retries;
    long deadline = Long.MAX_VALUE;
    long lastActivity;

    TcpConnection(int receiveBuffer) {
        this.rx = new byte[receiveBuffer];
    }

    void open(long mac, int ip, int port, int peerIsn, int peerMss, int window, int ourIsn, long now) {
        state = State.SYN_RECEIVED;
        remoteMac = mac;
        remoteIp = ip;
        remotePort = port;
        iss = ourIsn;
        sndUna = ourIsn;
        sndNxt = ourIsn;
        sndMax = ourIsn;
        sndEnd = ourIsn + 1;
        peerWindow = window;
        mss = Math.min(MSS, peerMss > 0 ? peerMss : DEFAULT_PEER_MSS);
        rcvNxt = peerIsn + 1;
        rxLen = 0;
        out = null;
        outBase = sndEnd;
        finQueued = false;
        peerFin = false;
        ackPending = false;
        synAckDue = true;
        probeDue = false;
        freeAfterAck = false;
        unseen = false;
        rto = RTO_INITIAL_NANOS;
        retries = 0;
        deadline = Long.MAX_VALUE;
        lastActivity = now;
    }

    void free() {
        state = State.FREE;
        out = null;
        deadline = Long.MAX_VALUE;
    }

    boolean matches(int ip, int port) {
        return state != State.FREE && remoteIp == ip && remotePort == port;
    }

    /** Mid-reply: bytes handed to us by the layer above are not yet all acknowledged. */
    boolean busy() {
        return out != null;
    }

    int window() {
        return Math.min(rx.length - rxLen, 65535);
    }

    // ---- input -------------------------------------------------------------------------

    Outcome onSegment(int flags, int seq, int ack, int window, byte[] seg, int dataOff, int dataLen,
                      long now, MmdsRequestHandler handler) {
        lastActivity = now;
        if ((flags & Wire.RST) != 0) {
            return onReset(seq);
        }
        if ((flags & Wire.SYN) != 0) {
            if (state == State.SYN_RECEIVED && seq == rcvNxt - 1) {
                synAckDue = true; // our SYN-ACK was lost: the guest sent its SYN again
            } else {
                ackPending = true; // RFC 5961 challenge ACK; the guest answers a stale connection with RST
            }
            return Outcome.KEEP;
        }
        if ((flags & Wire.ACK) == 0) {
            return Outcome.KEEP;
        }
        if (state == State.SYN_RECEIVED) {
            if (ack != iss + 1) {
                return Outcome.ABORT; // an ACK for something we never sent: reset, as RFC 793 says
            }
            state = State.ESTABLISHED;
            synAckDue = false;
            sndUna = iss + 1;
            sndNxt = sndUna;
            sndMax = sndUna;
            deadline = Long.MAX_VALUE;
            rto = RTO_INITIAL_NANOS;
            retries = 0;
        }
        if (seqLt(sndMax, ack)) {
            ackPending = true; // acknowledges what we never sent
            return Outcome.KEEP;
        }
        if (peerWindow == 0 && window > 0) {
            sndNxt = sndUna; // the window opened: a probe byte it refused goes again at once
        }
        peerWindow = window;
        retries = 0; // the guest is alive
        if (seqLt(sndUna, ack)) {
            sndUna = ack;
            if (seqLt(sndNxt, ack)) {
                sndNxt = ack; // after a go-back-N, the originals arrived
            }
            rto = RTO_INITIAL_NANOS;
            deadline = Long.MAX_VALUE;
            if (out != null && seqLe(outBase + out.length, sndUna)) {
                out = null;
                unseen = true; // a pipelined request may be waiting behind the reply
            }
        }
        acceptData(flags, seq, seg, dataOff, dataLen);
        if (finQueued && sndUna == sndEnd + 1 && peerFin) {
            if (ackPending) {
                freeAfterAck = true;
                return Outcome.KEEP;
            }
            return Outcome.FREE_SILENTLY;
        }
        if (serve(handler) == Outcome.ABORT) {
            return Outcome.ABORT;
        }
        updateTimer(now);
        return Outcome.KEEP;
    }

    private Outcome onReset(int seq) {
        if (seq == rcvNxt) {
            return Outcome.FREE_SILENTLY;
        }
        if (seqLt(rcvNxt, seq) && seqLt(seq, rcvNxt + Math.max(window(), 1))) {
            ackPending = true; // in the window but not exact: challenge ACK (RFC 5961 3.2)
        }
        return Outcome.KEEP;
    }

    private void acceptData(int flags, int seq, byte[] seg, int off, int len) {
        boolean fin = (flags & Wire.FIN) != 0;
        if (len == 0 && !fin) {
            return;
        }
        ackPending = true;
        if (peerFin) {
            return; // nothing follows a FIN; a retransmitted one is simply acknowledged
        }
        if (seqLt(rcvNxt, seq)) {
            return; // out of order: dropped, the duplicate ACK tells the guest where we are
        }
        int skip = rcvNxt - seq;
        if (skip > len) {
            return; // wholly duplicate (a FIN at skip == len is still new)
        }
        int take = Math.min(len - skip, rx.length - rxLen);
        System.arraycopy(seg, off + skip, rx, rxLen, take);
        rxLen += take;
        unseen |= take > 0;
        rcvNxt += take;
        if (fin && skip + take == len) {
            rcvNxt++;
            peerFin = true;
        }
    }

    /** Hands complete requests to the layer above, one reply in flight at a time. */
    Outcome serve(MmdsRequestHandler handler) {
        while (unseen && out == null && !finQueued && rxLen > 0) {
            boolean full = rxLen == rx.length;
            MmdsRequestHandler.Reply r = handler.handle(rx, rxLen, full);
            if (r == null) {
                if (full) {
                    return Outcome.ABORT; // the layer above broke its contract; never wedge
                }
                unseen = false; // incomplete: nothing to do until more bytes come
                break;
            }
            int used = Math.min(r.consumed(), rxLen);
            System.arraycopy(rx, used, rx, 0, rxLen - used);
            rxLen -= used;
            if (rxLen + used == rx.length) {
                ackPending = true; // the window reopens: tell the guest
            }
            if (r.bytes().length > 0) {
                out = r.bytes();
                outBase = sndEnd;
                sndEnd += out.length;
            }
            if (r.closeAfter()) {
                finQueued = true;
            }
        }
        if (peerFin && out == null && !finQueued) {
            finQueued = true; // the guest is done sending and has nothing unanswered
            rxLen = 0;
        }
        return Outcome.KEEP;
    }

    // ---- output ------------------------------------------------------------------------

    private boolean dataSendable() {
        if (out == null || !seqLt(sndNxt, outBase + out.length) || seqLt(sndNxt, outBase)) {
            return false;
        }
        return seqLt(sndNxt, sndUna + peerWindow) || probeDue;
    }

    private boolean finDue() {
        return finQueued && sndNxt == sndEnd;
    }

    boolean wantsToSend() {
        return state != State.FREE && (synAckDue || ackPending || dataSendable() || finDue());
    }

    /** Writes this connection's next segment through {@code w}; returns its frame length (0: nothing). */
    int nextSegment(SegmentWriter w, long now) {
        if (synAckDue) {
            synAckDue = false;
            ackPending = false;
            sndNxt = iss + 1;
            sndMax = seqLt(sndMax, sndNxt) ? sndNxt : sndMax;
            startTimer(now);
            return w.write(this, Wire.SYN | Wire.ACK, iss, null, 0, 0, true);
        }
        int flags = Wire.ACK;
        int seq = sndNxt;
        int len = 0;
        if (dataSendable()) {
            int outEnd = outBase + out.length;
            int usable = sndUna + peerWindow - sndNxt;
            if (usable <= 0) {
                usable = 1; // zero-window probe
            }
            probeDue = false;
            len = Math.min(Math.min(mss, outEnd - sndNxt), usable);
            sndNxt += len;
            if (sndNxt == outEnd) {
                flags |= Wire.PSH;
            }
        }
        if (finDue()) {
            flags |= Wire.FIN;
            sndNxt++;
        }
        if (len == 0 && (flags & Wire.FIN) == 0 && !ackPending) {
            return 0;
        }
        if (seqLt(sndMax, sndNxt)) {
            sndMax = sndNxt;
        }
        ackPending = false;
        if (sndNxt != sndUna) {
            startTimer(now);
        }
        int n = w.write(this, flags, seq, out, len == 0 ? 0 : seq - outBase, len, false);
        return n;
    }

    private void startTimer(long now) {
        if (deadline == Long.MAX_VALUE) {
            deadline = now + rto;
        }
    }

    /** Persist timer for a zero window; lingering after our FIN was acknowledged. */
    private void updateTimer(long now) {
        if (deadline != Long.MAX_VALUE) {
            return;
        }
        if (sndUna == sndNxt && out != null && peerWindow == 0) {
            deadline = now + rto;
        } else if (finQueued && sndUna == sndEnd + 1 && !peerFin) {
            deadline = lastActivity + FIN_WAIT_NANOS;
        }
    }

    /** The deadline passed: retransmit from {@code sndUna}, probe, or give up. */
    Outcome onTimer(long now) {
        deadline = Long.MAX_VALUE;
        if (finQueued && sndUna == sndEnd + 1 && !peerFin) {
            return Outcome.ABORT; // the guest never closed its side
        }
        if (++retries > MAX_RETRIES) {
            return Outcome.ABORT;
        }
        rto = Math.min(rto * 2, RTO_MAX_NANOS);
        if (state == State.SYN_RECEIVED) {
            synAckDue = true;
        } else {
            sndNxt = sndUna;
            if (peerWindow == 0) {
                probeDue = true;
            }
        }
        deadline = now + rto;
        return Outcome.KEEP;
    }

    /** Writes a segment of a connection into the stack's output frame. */
    interface SegmentWriter {
        int write(TcpConnection c, int flags, int seq, byte[] data, int dataOff, int dataLen, boolean mssOption);
    }
}
