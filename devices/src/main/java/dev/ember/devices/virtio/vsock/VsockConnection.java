package dev.ember.devices.virtio.vsock;

/**
 * One stream between a guest port and a host Unix socket: its state, the credit accounting of
 * both directions (virtio 1.2, 5.10.6.3) and the control packets it owes the guest. Owned by the
 * {@link VsockMuxer} on the event-loop thread.
 *
 * <p>Credit: the guest may have at most {@link #BUF_ALLOC} bytes in flight towards the host that
 * the host socket has not taken ({@code rxCnt - fwdCnt}); bytes the socket refuses wait in a
 * {@link HostTxBuffer} of that size. Towards the guest we send at most
 * {@code peerBufAlloc - (txCnt - peerFwdCnt)} bytes, and read the host socket only while that is
 * positive, so a guest that stops reading stops the host peer, not the device.
 */
final class VsockConnection {
    /** The credit we give the guest per connection (also the size of its {@link HostTxBuffer}). */
    static final int BUF_ALLOC = 64 * 1024;

    enum State {
        /** Host-initiated: accepted on uds_path, reading the {@code CONNECT <port>\n} line. */
        AWAIT_CONNECT_LINE,
        /** Host-initiated: REQUEST sent to the guest, waiting for RESPONSE. */
        LOCAL_INIT,
        /** Data flows (possibly one direction shut down). */
        ESTABLISHED,
        /** Ended: only the RST it owes the guest is left. */
        CLOSED
    }

    /** Control packets owed to the guest, sent in this order of priority. */
    static final int P_RST = 1, P_REQUEST = 2, P_RESPONSE = 4, P_SHUTDOWN = 8, P_CREDIT_UPDATE = 16, P_CREDIT_REQUEST = 32;

    final int fd;
    /** The host-side port: {@code uds_path}-accepted connections get one of ours, guest-initiated ones the port they dialled. */
    int localPort;
    /** The guest-side port. */
    int peerPort;
    State state;
    int pending;
    /** Flags of the SHUTDOWN owed (P_SHUTDOWN). */
    int shutdownFlags;

    // guest -> host
    long rxCnt;
    long fwdCnt;
    long lastFwdCntSent;
    HostTxBuffer txBuf;

    // host -> guest
    long txCnt;
    int peerBufAlloc;
    int peerFwdCnt;

    boolean guestShutRecv;
    boolean guestShutSend;
    /** We told the guest the host side sends no more (host end of stream). */
    boolean hostEof;
    /** The host socket reported hang-up/error: no longer in epoll, read until it says so. */
    boolean hup;
    /** The host socket has data (or an event) not yet moved to the guest. */
    boolean wantsRead;
    /** Host socket's epoll mask as registered (0 when not watched). */
    int armedMask;

    /**
     * System.nanoTime() by which the peer must have answered (CONNECT line, guest RESPONSE) or a
     * close must have finished ({@link #closing}), 0 for none.
     */
    long deadline;
    /**
     * Both directions are shut and only the end is left: the guest's RST (after our SHUTDOWN of
     * both directions), or the host socket taking the bytes of a guest that closed. Bounded by
     * {@link VsockMuxer#SHUTDOWN_TIMEOUT_NANOS}.
     */
    boolean closing;

    // CONNECT line parser
    private int linePos;
    private long linePort;
    private int lineDigits;

    // The muxer's FIFO of connections with something for the guest.
    VsockConnection nextPending;
    boolean queued;

    VsockConnection(int fd, State state) {
        this.fd = fd;
        this.state = state;
    }

    long key() {
        return key(localPort, peerPort);
    }

    static long key(int localPort, int peerPort) {
        return ((long) localPort << 32) | (peerPort & 0xFFFF_FFFFL);
    }

    /** Bytes we may still send the guest. */
    long peerCredit() {
        long inFlight = ((int) txCnt - peerFwdCnt) & 0xFFFF_FFFFL; // the header's counters wrap at 2^32
        return Math.max(0, (peerBufAlloc & 0xFFFF_FFFFL) - inFlight);
    }

    /** Bytes the guest sent that the host socket has not taken. */
    long unforwarded() {
        return rxCnt - fwdCnt;
    }

    /** The guest has used up enough of its credit that a CREDIT_UPDATE is worth a packet. */
    boolean creditUpdateDue() {
        return fwdCnt - lastFwdCntSent >= BUF_ALLOC / 2;
    }

    private static final byte[] CONNECT = {'C', 'O', 'N', 'N', 'E', 'C', 'T', ' '};
    /** Digits of a u32 port. */
    private static final int MAX_DIGITS = 10;

    /**
     * Feeds one byte of the host's {@code CONNECT <port>\n} line.
     *
     * @return the port (0..2^32-1) once the line is complete, -1 for more, -2 if the line is malformed
     */
    long feedConnectLine(int b) {
        if (linePos < CONNECT.length) {
            if (b != CONNECT[linePos]) {
                return -2;
            }
            linePos++;
            return -1;
        }
        if (b == '\n') {
            return lineDigits == 0 ? -2 : linePort;
        }
        if (b < '0' || b > '9' || lineDigits == MAX_DIGITS) {
            return -2;
        }
        linePort = linePort * 10 + (b - '0');
        lineDigits++;
        return linePort > 0xFFFF_FFFFL ? -2 : -1;
    }
}
