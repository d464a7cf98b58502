package dev.ember.jailer;

/**
 * A step of building the jail failed, or the input was wrong. The message says what and, where
 * there is one, what to do about it; the jailer prints it and exits 1 (2 for bad arguments).
 */
public class JailerException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final boolean usage;

    public JailerException(String message) {
        this(message, false);
    }

    private JailerException(String message, boolean usage) {
        super(message);
        this.usage = usage;
    }

    public JailerException(String message, Throwable cause) {
        super(message, cause);
        this.usage = false;
    }

    /** Bad command-line input (exit status 2). */
    public static JailerException usage(String message) {
        return new JailerException(message, true);
    }

    public boolean isUsage() {
        return usage;
    }
}
