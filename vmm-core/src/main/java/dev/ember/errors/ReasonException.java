package dev.ember.errors;

/**
 * The one shape of Ember's typed errors: a reason enum for code and tests, a message for people.
 * Each subclass declares its own {@code Reason} enum and passes one here; callers branch on
 * {@link #reason()}, never on the message, which names what failed and the fix and may reach the
 * user as an API fault. (Java forbids generic exceptions, so the reason's type is the
 * subclass's to state: a subclass that callers switch over may narrow {@link #reason()}.)
 */
public abstract class ReasonException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Enum<?> reason;

    protected ReasonException(Enum<?> reason, String message) {
        super(message);
        this.reason = java.util.Objects.requireNonNull(reason, "reason");
    }

    protected ReasonException(Enum<?> reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = java.util.Objects.requireNonNull(reason, "reason");
    }

    /** A value of the subclass's own {@code Reason} enum. */
    public Enum<?> reason() {
        return reason;
    }
}
