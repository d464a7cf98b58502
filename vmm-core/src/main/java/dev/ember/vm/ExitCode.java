package dev.ember.vm;

/**
 * Process exit codes of the VMM, Firecracker's values where Firecracker defines one
 * ({@code FcExitCode}). {@link Vm#awaitExit()} returns one of these.
 */
public final class ExitCode {
    private ExitCode() {}

    /** The guest shut down or rebooted (i8042 reset, triple fault, PSCI-style system event), or the VM was stopped. */
    public static final int OK = 0;
    /** The VM failed: a vCPU could not run (KVM_RUN error, FAIL_ENTRY, INTERNAL_ERROR, unknown exit, guest crash event). */
    public static final int GENERIC_ERROR = 1;
    /** A bug: an unexpected exception escaped a vCPU thread or device handler. */
    public static final int UNEXPECTED_ERROR = 2;
    /** The seccomp filter killed a system call. */
    public static final int BAD_SYSCALL = 148;
    public static final int SIGBUS = 149;
    public static final int SIGSEGV = 150;
    public static final int SIGXFSZ = 151;
    /** Invalid machine or boot configuration. */
    public static final int BAD_CONFIGURATION = 152;
    /** Invalid command-line arguments. */
    public static final int ARG_PARSING = 153;
    public static final int SIGXCPU = 154;
    public static final int SIGPIPE = 155;
    public static final int SIGHUP = 156;
    public static final int SIGILL = 157;

    /** A short name for logs, e.g. {@code GENERIC_ERROR(1)}. */
    public static String describe(int code) {
        String name;
        switch (code) {
            case OK: name = "OK"; break;
            case GENERIC_ERROR: name = "GENERIC_ERROR"; break;
            case UNEXPECTED_ERROR: name = "UNEXPECTED_ERROR"; break;
            case BAD_SYSCALL: name = "BAD_SYSCALL"; break;
            case SIGBUS: name = "SIGBUS"; break;
            case SIGSEGV: name = "SIGSEGV"; break;
            case SIGXFSZ: name = "SIGXFSZ"; break;
            case BAD_CONFIGURATION: name = "BAD_CONFIGURATION"; break;
            case ARG_PARSING: name = "ARG_PARSING"; break;
            case SIGXCPU: name = "SIGXCPU"; break;
            case SIGPIPE: name = "SIGPIPE"; break;
            case SIGHUP: name = "SIGHUP"; break;
            case SIGILL: name = "SIGILL"; break;
            default: name = "EXIT";
        }
        return name + "(" + code + ")";
    }
}
