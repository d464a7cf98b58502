package dev.ember.api;

/**
 * The bounds on what API clients can hold: open connections, and how long a connection may sit
 * idle, take to send a request's head, and take to send its body. Past a time bound the
 * connection is closed; see {@link UnixPoller} for what happens at the connection bound.
 */
public record ApiLimits(int maxConnections, int idleMillis, int headerMillis, int bodyMillis) {
    /**
     * 128 connections (Firecracker allows 10; a few clients need a few each, and each is one fd
     * under a jail's fd limit); 30 s idle between requests; 10 s for a head and for a body,
     * which Firecracker's clients send in one write.
     */
    public static final ApiLimits DEFAULT = new ApiLimits(128, 30_000, 10_000, 10_000);

    public ApiLimits {
        if (maxConnections < 1 || idleMillis < 1 || headerMillis < 1 || bodyMillis < 1) {
            throw new IllegalArgumentException("API limits must be positive: " + maxConnections + ", " + idleMillis
                    + ", " + headerMillis + ", " + bodyMillis);
        }
    }
}
