package dev.ember.seccomp;

import com.kenai.jffi.MemoryIO;
import dev.ember.log.Log;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.NativeException;
import dev.ember.sys.RawLibc;

/**
 * Installs a compiled filter on every thread of this process.
 *
 * <p>A JVM runs many threads it made itself (GC, JIT compilers, signal dispatcher, reference
 * handler...), so a filter on the calling thread alone would leave most of the process
 * unfiltered. SECCOMP_FILTER_FLAG_TSYNC makes the kernel attach the filter to all threads of the
 * process atomically, and threads started later inherit it.
 *
 * <p>The calls go through {@link RawLibc}'s {@code syscall(2)} by number (glibc has no seccomp wrapper).
 */
public final class Seccomp {
    static final int SECCOMP_SET_MODE_FILTER = 1;
    static final int SECCOMP_FILTER_FLAG_TSYNC = 1;

    private static final System.Logger LOG = Log.logger(Seccomp.class);

    private Seccomp() {}

    /** Compiles and installs {@code filter}; see {@link #install(BpfProgram)}. */
    public static BpfProgram install(SeccompFilter filter) {
        BpfProgram program = BpfCompiler.compile(filter);
        install(program);
        return program;
    }

    /**
     * Sets NO_NEW_PRIVS (required to install a filter without CAP_SYS_ADMIN, and what keeps an
     * exec from gaining privileges past the filter), then installs {@code program} on all threads.
     * Filters stack: a second call adds a filter, it never replaces one.
     */
    public static void install(BpfProgram program) {
        setNoNewPrivs();
        long rc = setModeFilter(program, SECCOMP_FILTER_FLAG_TSYNC);
        if (rc > 0) {
            throw new SeccompFilterException("seccomp TSYNC failed: thread " + rc
                    + " already has a filter that is not an ancestor of this thread's, so the filter could not be applied to all threads");
        }
        if (rc < 0) {
            throw new NativeException("seccomp(SECCOMP_SET_MODE_FILTER, TSYNC) with " + program.length() + " instructions", (int) -rc);
        }
        // Concatenated, not a {0} parameter: the log's MessageFormat would set up number formatting
        // and locale data for this one line before the first request (the start path's only one).
        LOG.log(System.Logger.Level.INFO, "seccomp filter installed on all threads (" + program.length() + " BPF instructions)");
    }

    /**
     * Adds {@code program} on the calling thread only (no TSYNC), on top of whatever filters it
     * has: the kernel runs them all and the strictest answer wins. Threads this thread starts
     * later inherit it, so call it before the thread starts anything that needs more.
     */
    public static void installOnThisThread(BpfProgram program) {
        // Set already when a process-wide filter is on (TSYNC sets it on every thread), and then
        // that filter does not allow setting it again.
        if (RawLibc.syscall(Native.SYS_PRCTL, LibC.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
            setNoNewPrivs();
        }
        long rc = setModeFilter(program, 0);
        if (rc != 0) {
            throw new NativeException("seccomp(SECCOMP_SET_MODE_FILTER) on thread \"" + Thread.currentThread().getName() + "\" with "
                    + program.length() + " instructions", (int) -rc);
        }
    }

    private static void setNoNewPrivs() {
        if (RawLibc.syscall(Native.SYS_PRCTL, LibC.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
            throw new NativeException("prctl(PR_SET_NO_NEW_PRIVS)", RawLibc.errno());
        }
    }

    /** seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog): its result, or -errno when it failed. */
    private static long setModeFilter(BpfProgram program, int flags) {
        long insns = RawLibc.allocate((long) program.length() * SockFilter.SIZE);
        long fprog = RawLibc.allocate(SockFilter.FPROG_SIZE);
        try {
            program.writeTo(insns);
            MemoryIO memory = RawLibc.memory();
            memory.putShort(fprog + SockFilter.FPROG_LEN, (short) program.length());
            memory.putAddress(fprog + SockFilter.FPROG_FILTER, insns);
            long rc = RawLibc.syscall(Native.SYS_SECCOMP, SECCOMP_SET_MODE_FILTER, flags, fprog, 0, 0);
            return rc < 0 ? -RawLibc.errno() : rc;
        } finally {
            RawLibc.free(fprog);
            RawLibc.free(insns);
        }
    }
}
