package dev.ember.devices.virtio.balloon;

import dev.ember.devices.DeviceException;

/** A balloon request the device cannot carry out now; {@link #reason()} says why. */
public final class BalloonException extends DeviceException {
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

    public BalloonException(Reason reason, String message) {
        super(reason, message);
    }
}
