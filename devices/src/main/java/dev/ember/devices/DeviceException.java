package dev.ember.devices;

import dev.ember.errors.ReasonException;

/**
 * What a device model could not do (a TAP that will not open, a driver's malformed queue, a
 * balloon request too early, ...): the devices' typed errors, each with its own {@code Reason}
 * enum ({@link ReasonException}). The message names the device and the fix.
 */
public abstract class DeviceException extends ReasonException {
    private static final long serialVersionUID = 1L;

    protected DeviceException(Enum<?> reason, String message) {
        super(reason, message);
    }
}
