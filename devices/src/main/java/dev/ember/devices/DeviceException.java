package dev.ember.devices;

/**
 * What a device model could not do, with the reason that says why: the one shape of the
 * devices' typed errors (a TAP that will not open, a driver's malformed queue, a balloon request
 * too early, ...). Each subclass declares its own {@code Reason} enum and passes one here; code
 * and tests branch on {@link #reason()}, never on the message. The message is for people: it
 * names the device and the fix, and reaches the user as the API's fault message.
 */
public abstract class DeviceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Enum<?> reason;

    protected DeviceException(Enum<?> reason, String message) {
        super(message);
        this.reason = java.util.Objects.requireNonNull(reason, "reason");
    }

    /** A value of the subclass's own {@code Reason} enum. */
    public Enum<?> reason() {
        return reason;
    }
}
