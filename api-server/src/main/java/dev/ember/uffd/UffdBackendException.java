package dev.ember.uffd;

import dev.ember.errors.ReasonException;

/**
 * Setting up the Uffd memory backend failed. The message starts with Firecracker's text for the
 * same failure ({@code Load snapshot error: ... Error creating guest memory from uffd: ...}) and
 * goes on with what to do about it.
 */
public final class UffdBackendException extends ReasonException {
    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** The userfaultfd could not be created (kernel, permissions, features). */
        CREATE,
        /** A guest memory region could not be registered with it. */
        REGISTER,
        /** backend_path could not be connected to (missing, nobody listening, not a socket). */
        CONNECT,
        /** The mappings and the fd could not be sent. */
        SEND
    }

    /** Firecracker's prefix of every Uffd load error. */
    static final String PREFIX = "Load snapshot error: Failed to restore from snapshot: Failed to load guest memory:"
            + " Error creating guest memory from uffd: ";

    UffdBackendException(Reason reason, String firecrackerText, String hint) {
        super(reason, PREFIX + firecrackerText + (hint == null ? "" : ". " + hint));
    }

    @Override
    public Reason reason() {
        return (Reason) super.reason();
    }
}
