package dev.ember.devices.mmds;

/**
 * What one interface's MMDS stack may hold, so a guest cannot make the VMM grow without bound:
 * memory is at most {@code maxConnections × (receiveBuffer + the largest reply)} plus the reset
 * queue's fixed arrays.
 *
 * @param maxConnections   concurrent connections (Firecracker: 30); a SYN beyond them replaces
 *                         the quietest connection not in the middle of a reply, or gets a RST
 * @param maxPendingResets RSTs queued for the guest (Firecracker: 100); more are dropped
 * @param receiveBuffer    bytes of one connection's unanswered request: the receive window, and
 *                         the largest request the layer above can be handed
 */
public record TcpLimits(int maxConnections, int maxPendingResets, int receiveBuffer) {
    public static final TcpLimits DEFAULT = new TcpLimits(30, 100, 8192);

    public TcpLimits {
        if (maxConnections < 1 || maxPendingResets < 1 || receiveBuffer < 64 || receiveBuffer > 65535) {
            throw new IllegalArgumentException("MMDS TCP limits out of range: " + maxConnections + " connections, "
                    + maxPendingResets + " resets, " + receiveBuffer + "-byte receive buffer (64..65535)");
        }
    }
}
