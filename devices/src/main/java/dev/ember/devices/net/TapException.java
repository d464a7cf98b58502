package dev.ember.devices.net;

/** A TAP device could not be opened or configured; the message names the interface and the fix. */
public final class TapException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TapException(String message) {
        super(message);
    }
}
