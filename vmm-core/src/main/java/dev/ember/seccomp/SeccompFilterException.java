package dev.ember.seccomp;

/** A seccomp filter that cannot be built: bad rule, unknown system call, program too long. */
public class SeccompFilterException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SeccompFilterException(String message) {
        super(message);
    }

    public SeccompFilterException(String message, Throwable cause) {
        super(message, cause);
    }
}
