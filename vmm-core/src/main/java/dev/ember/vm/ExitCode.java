package dev.ember.vm;

/**
 * The VMM's process exit codes, Firecracker's values ({@code FcExitCode}). {@link Vm#awaitExit()}
 * returns the process status as an int because a test guest may end the VM with a status of
 * its own choosing (the debug exit port); every status the VMM itself chooses is one of these.
 */
public enum ExitCode {
    /** The guest shut down or rebooted (i8042 reset, triple fault, PSCI-style system event), or the VM was stopped. */
    OK(0),
    /** The VM failed: a vCPU could not run (KVM_RUN error, FAIL_ENTRY, INTERNAL_ERROR, unknown exit, guest crash event). */
    GENERIC_ERROR(1),
    /** A bug: an unexpected exception escaped a vCPU thread or device handler. */
    UNEXPECTED_ERROR(2),
    /** The seccomp filter killed a system call. */
    BAD_SYSCALL(148),
    SIGBUS(149),
    SIGSEGV(150),
    SIGXFSZ(151),
    /** Invalid machine or boot configuration. */
    BAD_CONFIGURATION(152),
    /** Invalid command-line arguments. */
    ARG_PARSING(153),
    SIGXCPU(154),
    SIGPIPE(155),
    SIGHUP(156),
    SIGILL(157);

    private final int code;

    ExitCode(int code) {
        this.code = code;
    }

    /** The process status. */
    public int code() {
        return code;
    }

    /** The exit code with this status, or null (a status a test guest chose). */
    public static ExitCode of(int code) {
        for (ExitCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }

    /** A short name for logs, e.g. {@code GENERIC_ERROR(1)}; {@code EXIT(n)} for a status that is none of these. */
    public static String describe(int code) {
        ExitCode known = of(code);
        return (known != null ? known.name() : "EXIT") + "(" + code + ")";
    }

    /** As {@link #describe(int)}. */
    public String describe() {
        return name() + "(" + code + ")";
    }
}
