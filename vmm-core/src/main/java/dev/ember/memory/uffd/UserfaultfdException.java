package dev.ember.memory.uffd;

import dev.ember.errors.ReasonException;
import dev.ember.sys.Native;

/** A userfaultfd could not be created, set up or used; {@link #reason()} says which step. */
public final class UserfaultfdException extends ReasonException {
    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** The kernel has no userfaultfd (ENOSYS: CONFIG_USERFAULTFD off, or a seccomp filter answering ENOSYS). */
        UNSUPPORTED,
        /** Neither /dev/userfaultfd nor the system call is open to this process. */
        NOT_PERMITTED,
        /** UFFDIO_API refused the features asked for. */
        FEATURES,
        /** UFFDIO_REGISTER refused a range, or registered it without UFFDIO_COPY. */
        REGISTER
    }

    private final int errno;

    public UserfaultfdException(Reason reason, String message, int errno) {
        super(reason, errno == 0 ? message : message + ": " + Native.LIBC.strerror(errno) + " (os error " + errno + ")");
        this.errno = errno;
    }

    @Override
    public Reason reason() {
        return (Reason) super.reason();
    }

    public int errno() {
        return errno;
    }
}
