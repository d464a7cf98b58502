package dev.ember.arch.x86;

/**
 * The kernel, initrd or command line cannot be loaded as given. The message names the file or
 * field at fault and what would make it loadable.
 */
public final class KernelLoadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KernelLoadException(String message) {
        super(message);
    }

    public KernelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
