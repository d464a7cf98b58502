package dev.ember.devices.virtio.balloon;

/** A balloon request the device cannot carry out now; {@link #reason()} says why. */
public final class BalloonException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** The guest driver has not set DRIVER_OK yet (or reset the device). */
        NOT_ACTIVATED,
        /** Statistics were not configured (interval 0 at boot), so there is no statistics queue. */
        STATISTICS_DISABLED,
        /** Free page hinting was not configured, or the guest did not accept it. */
        HINTING_DISABLED,
        /** A target above what 32-bit page counts can express. */
        TOO_MANY_PAGES
    }

    private final Reason reason;

    public BalloonException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
