package dev.ember.config;

/**
 * A configuration value was rejected. The message is meant for the user as is: it names the
 * field (e.g. {@code machine-config.vcpu_count}) and says what would be accepted. The API
 * returns it as Firecracker's {@code fault_message}; the CLI prints it and exits 152.
 * {@link #reason()} says what kind of mistake it is, for code and tests that must not parse the
 * message.
 */
public class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** A field's value is malformed or out of range. */
        INVALID_VALUE,
        /** A required field, section or change is absent. */
        MISSING_FIELD,
        /** The JSON is not what the endpoint or file takes: syntax, type, unknown field or section. */
        MALFORMED_JSON,
        /** It clashes with what is configured already (a second root drive, a MAC in use, set twice). */
        CONFLICT,
        /** It names a device, interface or store that does not exist. */
        NOT_FOUND,
        /** Allowed before boot only (or after boot only). */
        NOT_ALLOWED_NOW,
        /** A Firecracker feature Ember does not have, or one for another architecture. */
        UNSUPPORTED,
        /** Over a size limit (the MMDS data store). */
        TOO_LARGE,
        /** A host file it names is missing, a directory, unreadable or unwritable. */
        FILE
    }

    private final Reason reason;

    public ConfigException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** A rejected value ({@link Reason#INVALID_VALUE}). */
    public ConfigException(String message) {
        this(Reason.INVALID_VALUE, message);
    }

    public Reason reason() {
        return reason;
    }
}
