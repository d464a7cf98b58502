package dev.ember.app;

/**
 * What a {@link VmmCommand} came to: done, an answer, or a failure with the text the user reads.
 * The API maps it to HTTP in one place ({@code dev.ember.api.ApiResponses}); the CLI turns a
 * failure of the configuration file into its exit code.
 */
public sealed interface VmmResult {

    /** Applied; nothing to answer (HTTP 204). */
    record Done() implements VmmResult {}

    /** An answer serialised as JSON (HTTP 200). */
    record Body(Object value) implements VmmResult {}

    /** An answer that is text of the given media type (HTTP 200). */
    record Text(String text, String mediaType) implements VmmResult {}

    /** Refused or failed; {@code message} says what and how to fix it (Firecracker's fault_message). */
    record Failed(Fault fault, String message) implements VmmResult {}

    /** Why a command failed, as far as the caller must act differently on it. */
    enum Fault {
        /** Bad input or a state that does not allow it (HTTP 400). */
        REFUSED,
        /** The MMDS data store would outgrow its limit (HTTP 413). */
        TOO_LARGE,
        /** The VMM was asked to stop before the command could run (a SIGTERM during InstanceStart). */
        STOPPED,
        /** The process cannot go on (a snapshot load failed half-way): answer, then exit. */
        FATAL
    }

    Done DONE = new Done();

    static Failed refused(String message) {
        return new Failed(Fault.REFUSED, message);
    }
}
