package dev.ember.seccomp;

/**
 * What the kernel does with a system call once a filter has decided: the {@code SECCOMP_RET_*}
 * values of {@code <linux/seccomp.h>}. {@code data} is the errno for {@link Kind#ERRNO} and the
 * {@code si_errno} value for {@link Kind#TRAP}; it is 16 bits wide.
 */
public record SeccompAction(Kind kind, int data) {
    public enum Kind {
        /** Let the call run. */
        ALLOW(0x7fff0000),
        /** Fail the call with {@code -data} (an errno) without running it. */
        ERRNO(0x00050000),
        /** Kill the whole process, as by an uncatchable SIGSYS (core dump). */
        KILL_PROCESS(0x80000000),
        /** Kill only the calling thread; dangerous for a JVM, which then hangs half-alive. */
        KILL_THREAD(0x00000000),
        /** Send SIGSYS to the calling thread (catchable). */
        TRAP(0x00030000),
        /** Let the call run and record it in the audit log. */
        LOG(0x7ffc0000);

        final int base;

        Kind(int base) {
            this.base = base;
        }
    }

    public static final SeccompAction ALLOW = new SeccompAction(Kind.ALLOW, 0);
    public static final SeccompAction KILL_PROCESS = new SeccompAction(Kind.KILL_PROCESS, 0);
    public static final SeccompAction KILL_THREAD = new SeccompAction(Kind.KILL_THREAD, 0);
    public static final SeccompAction TRAP = new SeccompAction(Kind.TRAP, 0);
    public static final SeccompAction LOG = new SeccompAction(Kind.LOG, 0);

    public SeccompAction {
        if (kind == null) {
            throw new SeccompFilterException("a seccomp action needs a kind (allow, errno, kill_process, kill_thread, trap, log)");
        }
        if (data < 0 || data > 0xffff) {
            throw new SeccompFilterException("the value of a seccomp " + kind.name().toLowerCase() + " action must be 0..65535, not " + data);
        }
        if (data != 0 && kind != Kind.ERRNO && kind != Kind.TRAP) {
            throw new SeccompFilterException("a seccomp " + kind.name().toLowerCase() + " action takes no value");
        }
    }

    public static SeccompAction errno(int errno) {
        return new SeccompAction(Kind.ERRNO, errno);
    }

    /** The 32-bit value a BPF {@code ret} instruction returns to the kernel. */
    public int returnValue() {
        return kind.base | data;
    }

    @Override
    public String toString() {
        return kind == Kind.ERRNO || kind == Kind.TRAP ? kind.name().toLowerCase() + "(" + data + ")" : kind.name().toLowerCase();
    }
}
