package dev.ember.app;

/**
 * A failure that leaves the process unable to go on, as Firecracker judges a snapshot load that
 * failed after it began restoring: the client gets the answer, then the process exits with
 * {@link dev.ember.vm.ExitCode#BAD_CONFIGURATION}.
 */
public final class VmmFatalException extends VmmException {
    public VmmFatalException(String message) {
        super(message);
    }
}
