package dev.ember.devices.virtio.vhost;

import dev.ember.devices.DeviceException;

/**
 * A vhost-user back-end could not be reached or did not keep to the protocol. The message names
 * the socket, the request and what went wrong; {@link #reason()} says which kind of failure.
 */
public final class VhostUserException extends DeviceException {
    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** The socket could not be connected to (missing, nobody listening, not a socket, backlog full). */
        CONNECT,
        /** A request could not be sent (the back-end stopped reading, or the connection broke). */
        SEND,
        /** No (complete) reply within the time allowed. */
        TIMEOUT,
        /** The back-end closed the connection. */
        CLOSED,
        /** A reply that is not the one asked for: wrong request code, flags, version or size. */
        MALFORMED_REPLY,
        /** The back-end acknowledged a request with a failure status. */
        REFUSED,
        /** The back-end lacks a feature the front-end needs. */
        MISSING_FEATURE,
        /** What the back-end must be handed does not exist: guest RAM it can map (a memfd), an irqfd for the queue. */
        NOT_SHAREABLE,
        /** An earlier failure left the connection in an unknown state; nothing more is sent on it. */
        BROKEN
    }

    /** The OS error of a failed connect (Firecracker reports it), else 0. */
    private final int errno;

    public VhostUserException(Reason reason, String message) {
        this(reason, message, 0);
    }

    public VhostUserException(Reason reason, String message, int errno) {
        super(reason, message);
        this.errno = errno;
    }

    /** The errno a {@link Reason#CONNECT} failure came with, 0 if none (a bad path, a timeout). */
    public int errno() {
        return errno;
    }
}
