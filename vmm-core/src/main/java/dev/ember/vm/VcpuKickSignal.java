package dev.ember.vm;

import dev.ember.kvm.KvmSignalMask;
import dev.ember.kvm.VcpuFd;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.NativeException;
import dev.ember.sys.NativeMemory;

/**
 * The signal that kicks a vCPU thread out of KVM_RUN, with no signal handler anywhere.
 *
 * <p>The signal is SIGRTMIN+1 (glibc's SIGRTMIN, normally 34, so signal 35); HotSpot and
 * jffi use no real-time signals. Scheme:
 * <ul>
 *   <li>process-wide disposition SIG_IGN, so a stray delivery (e.g. to a thread that has already
 *       left) can never kill the JVM;</li>
 *   <li>each vCPU thread blocks it with pthread_sigmask, so outside KVM_RUN a kick stays
 *       pending instead of being delivered or discarded (the kernel never discards a blocked
 *       signal as ignored);</li>
 *   <li>KVM_SET_SIGNAL_MASK gives KVM_RUN the thread's mask minus this signal, so a pending
 *       kick makes KVM_RUN return EINTR (the kernel restores the real mask before returning to
 *       user space, so nothing is delivered);</li>
 *   <li>after each EINTR the thread consumes the pending kick with sigtimedwait (zero timeout).</li>
 * </ul>
 * A kick is: set kvm_run.immediate_exit (covers a thread about to enter KVM_RUN), then
 * tgkill(pid, tid, signal) (covers a thread inside it).
 */
final class VcpuKickSignal {
    static final int SIGNAL = Native.LIBC.__libc_current_sigrtmin() + 1;
    private static final int PID = Native.LIBC.getpid();

    static {
        Native.LIBC.signal(SIGNAL, LibC.SIG_IGN);
    }

    /** A glibc sigset_t holding only {@link #SIGNAL}; owned by one vCPU thread. */
    private final NativeMemory kickSet = Native.allocate(LibC.GLIBC_SIGSET_BYTES);
    private final NativeMemory oldSet = Native.allocate(LibC.GLIBC_SIGSET_BYTES);
    /** struct timespec {0, 0}: sigtimedwait polls. */
    private final NativeMemory zeroTimeout = Native.allocate(16);

    VcpuKickSignal() {
        Native.LIBC.sigemptyset(kickSet.address());
        Native.LIBC.sigaddset(kickSet.address(), SIGNAL);
    }

    /**
     * Called on the vCPU thread before its first KVM_RUN: blocks the kick for the thread and
     * installs the KVM_RUN mask (the thread's mask without the kick).
     */
    void armOnCurrentThread(VcpuFd vcpu) {
        int rc = Native.LIBC.pthread_sigmask(LibC.SIG_BLOCK, kickSet.address(), oldSet.address());
        if (rc != 0) {
            throw new NativeException("pthread_sigmask(SIG_BLOCK, kick signal " + SIGNAL + ")", rc);
        }
        // glibc's sigset_t starts with the kernel's 64-bit set: signal n is bit n-1.
        long threadMask = oldSet.getLong(0) | (1L << (SIGNAL - 1));
        KvmSignalMask mask = new KvmSignalMask();
        mask.sigset(threadMask & ~(1L << (SIGNAL - 1)));
        vcpu.setSignalMask(mask);
    }

    /** Consumes any pending kick on the current (vCPU) thread. Allocation-free. */
    void drainOnCurrentThread() {
        while (Native.LIBC.sigtimedwait(kickSet.address(), 0, zeroTimeout.address()) > 0) {
            // one kick consumed; real-time signals queue, so loop until none is left
        }
    }

    /** Sends the kick to thread {@code tid} of this process; 0 means not started (nothing to do). */
    static void send(int tid) {
        if (tid != 0) {
            Native.LIBC.syscall(Native.SYS_TGKILL, PID, tid, SIGNAL);
        }
    }
}
