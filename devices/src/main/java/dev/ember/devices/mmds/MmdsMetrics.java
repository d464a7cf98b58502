package dev.ember.devices.mmds;

import dev.ember.metrics.Counter;
import dev.ember.metrics.FirecrackerMetrics;
import dev.ember.metrics.MetricGroup;

/**
 * Firecracker's {@code mmds} metrics group, shared by every interface's stack and by the HTTP
 * layer above it (which counts the token fields). Counters are atomic: any thread.
 */
public final class MmdsMetrics {
    /** Frames the stack took from the guest's TX path (ARP and IPv4 for the MMDS address). */
    public final Counter rxAccepted;
    /** Frames for the MMDS address the TCP layer refused (malformed, fragmented, no room). */
    public final Counter rxAcceptedErr;
    /** Non-TCP IPv4 packets for the MMDS address (consumed, never answered). */
    public final Counter rxAcceptedUnusual;
    /** Frames too short to be Ethernet. */
    public final Counter rxBadEth;
    /** TCP segments handled. */
    public final Counter rxCount;
    public final Counter rxInvalidToken;
    public final Counter rxNoToken;
    /** Bytes and frames handed to the guest. */
    public final Counter txBytes;
    public final Counter txFrames;
    /** Frames the stack wrote (ARP replies, segments, resets). */
    public final Counter txCount;
    /** Frames that could not be written (the guest's buffer was too small) or resets dropped at the bound. */
    public final Counter txErrors;
    public final Counter connectionsCreated;
    public final Counter connectionsDestroyed;

    public MmdsMetrics() {
        this(FirecrackerMetrics.MMDS.declare());
    }

    public MmdsMetrics(MetricGroup g) {
        rxAccepted = g.counter("rx_accepted");
        rxAcceptedErr = g.counter("rx_accepted_err");
        rxAcceptedUnusual = g.counter("rx_accepted_unusual");
        rxBadEth = g.counter("rx_bad_eth");
        rxCount = g.counter("rx_count");
        rxInvalidToken = g.counter("rx_invalid_token");
        rxNoToken = g.counter("rx_no_token");
        txBytes = g.counter("tx_bytes");
        txFrames = g.counter("tx_frames");
        txCount = g.counter("tx_count");
        txErrors = g.counter("tx_errors");
        connectionsCreated = g.counter("connections_created");
        connectionsDestroyed = g.counter("connections_destroyed");
    }
}
