package dev.ember.arch.x86;

import dev.ember.errors.ReasonException;

/**
 * The kernel, initrd or command line cannot be loaded as given. The message names the file or
 * field at fault and what would make it loadable; {@link #reason()} says which kind of problem.
 */
public final class KernelLoadException extends ReasonException {
    public enum Reason {
        /** A kernel or initrd file is missing, not a regular file, empty or unreadable. */
        FILE,
        /** Not a kernel Ember can enter: an x86_64 ELF executable vmlinux, or a bzImage of boot protocol 2.06+ with a 64-bit entry. */
        FORMAT,
        /** The file ends before what its own headers describe. */
        TRUNCATED,
        /** The kernel, initrd or boot tables do not fit in guest memory. */
        MEMORY,
        /** The command line is longer than the kernel accepts, or holds a NUL. */
        COMMAND_LINE
    }

    public KernelLoadException(Reason reason, String message) {
        super(reason, message);
    }

    public KernelLoadException(Reason reason, String message, Throwable cause) {
        super(reason, message, cause);
    }
}
