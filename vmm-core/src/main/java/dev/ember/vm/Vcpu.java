package dev.ember.vm;

import dev.ember.bus.Bus;
import dev.ember.kvm.KvmRegs;
import dev.ember.kvm.KvmRun;
import dev.ember.kvm.VcpuFd;
import dev.ember.log.Log;
import dev.ember.metrics.Counter;
import dev.ember.metrics.FirecrackerMetrics;
import dev.ember.metrics.LatencyAggregate;
import dev.ember.metrics.MetricGroup;
import dev.ember.seccomp.ThreadFilters;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.invoke.VarHandle;

/**
 * One vCPU's thread body: KVM_RUN in a loop, exits dispatched to the port-I/O and MMIO buses,
 * parking when the VM pauses, stopping when it exits. The dispatch path allocates nothing.
 */
final class Vcpu implements Runnable {
    private static final Logger LOG = Log.logger(Vcpu.class);
    private static final MetricGroup METRICS = FirecrackerMetrics.VCPU.declare();
    private static final Counter EXIT_IO_IN = METRICS.counter("exit_io_in");
    private static final Counter EXIT_IO_OUT = METRICS.counter("exit_io_out");
    private static final Counter EXIT_MMIO_READ = METRICS.counter("exit_mmio_read");
    private static final Counter EXIT_MMIO_WRITE = METRICS.counter("exit_mmio_write");
    private static final Counter FAILURES = METRICS.counter("failures");
    /** How long handling each kind of exit took (Firecracker's {@code *_agg}: min, max, sum). */
    private static final LatencyAggregate EXIT_IO_IN_AGG = METRICS.latency("exit_io_in_agg");
    private static final LatencyAggregate EXIT_IO_OUT_AGG = METRICS.latency("exit_io_out_agg");
    private static final LatencyAggregate EXIT_MMIO_READ_AGG = METRICS.latency("exit_mmio_read_agg");
    private static final LatencyAggregate EXIT_MMIO_WRITE_AGG = METRICS.latency("exit_mmio_write_agg");

    private final Vm vm;
    private final VcpuThreads threads;
    private final VcpuFd fd;
    private final KvmRun run;
    private final Bus pio;
    private final Bus mmio;
    private final VcpuKickSignal kickSignal = new VcpuKickSignal();
    /** Linux thread id while the thread runs; 0 before and after (a kick then only sets immediate_exit). */
    private volatile int tid;
    private volatile Thread thread;

    Vcpu(Vm vm, VcpuThreads threads, VcpuFd fd, Bus pio, Bus mmio) {
        this.vm = vm;
        this.threads = threads;
        this.fd = fd;
        this.run = fd.kvmRun();
        this.pio = pio;
        this.mmio = mmio;
    }

    int id() {
        return fd.id();
    }

    VcpuFd fd() {
        return fd;
    }

    /**
     * Firecracker's vCPU thread name, which the kernel shows as the thread's comm: orchestrators
     * (Kata Containers) find vCPU threads by the {@code fc_vcpu} prefix and read the index after it.
     */
    String name() {
        return "fc_vcpu " + fd.id();
    }

    void start() {
        thread = new Thread(this, name());
        thread.setDaemon(true);
        thread.start();
    }

    Thread thread() {
        return thread;
    }

    /** Makes the vCPU leave KVM_RUN soon; callable from any thread. */
    void kick() {
        run.requestImmediateExit();
        VcpuKickSignal.send(tid);
    }

    @Override
    public void run() {
        try {
            tid = Native.gettid();
            kickSignal.armOnCurrentThread(fd);
            // After KVM_SET_SIGNAL_MASK, before the guest runs: the vcpu filter allows KVM_RUN, not set-up ioctls.
            ThreadFilters.enter(ThreadFilters.Category.VCPU);
            if (threads.awaitStart()) {
                loop();
            }
        } catch (Throwable t) {
            FAILURES.inc();
            vm.threadFailed(name(), t);
        } finally {
            tid = 0;
            threads.vcpuStopped();
        }
    }

    private void loop() {
        boolean entered = false;
        while (true) {
            // Order matters: clear immediate_exit, consume kicks, then look at the control flags.
            // A kicker sets its flag before kicking, so whatever this thread misses here, the
            // pending signal or immediate_exit makes the next KVM_RUN return at once.
            run.clearImmediateExit();
            VarHandle.fullFence();
            kickSignal.drainOnCurrentThread();
            if (threads.controlRequested()) {
                if (entered) {
                    completePendingExit();
                }
                if (!threads.parkWhilePaused()) {
                    return;
                }
                continue;
            }
            if (!entered) {
                entered = true;
                threads.firstKvmRun(fd.id());
            }
            int rc = fd.run();
            if (rc != 0) {
                if (rc == -LibC.EINTR || rc == -LibC.EAGAIN) {
                    continue;
                }
                FAILURES.inc();
                vm.requestExit(ExitCode.GENERIC_ERROR, name() + ": KVM_RUN failed: " + Native.LIBC.strerror(-rc) + " (errno " + -rc + ")");
                return;
            }
            if (!handleExit()) {
                return;
            }
        }
    }

    /**
     * KVM_RUN with immediate_exit set: KVM finishes the instruction of the last I/O or MMIO exit
     * (copies an IN's data into RAX, moves RIP past an OUT) and returns EINTR without running
     * the guest. Done before parking, so a paused vCPU's registers are consistent for a snapshot
     * (KVM API: "userspace can ensure that the operation is completed" this way).
     */
    private void completePendingExit() {
        run.requestImmediateExit();
        fd.run();
        run.clearImmediateExit();
    }

    /** Returns false when this exit ends the VM. */
    private boolean handleExit() {
        int reason = run.exitReason();
        switch (reason) {
            case KvmRun.EXIT_IO:
                handleIo();
                return true;
            case KvmRun.EXIT_MMIO:
                handleMmio();
                return true;
            case KvmRun.EXIT_INTR:
            case KvmRun.EXIT_IRQ_WINDOW_OPEN:
                return true;
            case KvmRun.EXIT_HLT:
                LOG.log(Level.INFO, "{0}: KVM_EXIT_HLT at RIP 0x{1}", name(), Long.toHexString(rip()));
                vm.requestExit(ExitCode.OK, name() + " halted");
                return false;
            case KvmRun.EXIT_SHUTDOWN:
                LOG.log(Level.INFO, "{0}: KVM_EXIT_SHUTDOWN (triple fault or guest reset) at RIP 0x{1}", name(), Long.toHexString(rip()));
                vm.requestExit(ExitCode.OK, VmExitCause.KVM_SHUTDOWN, name() + ": guest shut down (KVM_EXIT_SHUTDOWN)");
                return false;
            case KvmRun.EXIT_SYSTEM_EVENT:
                return handleSystemEvent();
            case KvmRun.EXIT_FAIL_ENTRY: {
                return failed(VmExitCause.OTHER, String.format(
                        "%s: KVM_EXIT_FAIL_ENTRY, hardware entry failure reason 0x%x on host cpu %d, RIP 0x%x",
                        name(), run.failEntryReason(), run.failEntryCpu(), rip()));
            }
            case KvmRun.EXIT_INTERNAL_ERROR: {
                return failed(run.internalSuberror() == KvmRun.INTERNAL_ERROR_EMULATION
                        ? VmExitCause.INSTRUCTION_EMULATION_FAILED : VmExitCause.OTHER,
                        String.format("%s: KVM_EXIT_INTERNAL_ERROR suberror %d (%s), RIP 0x%x, %s",
                        name(), run.internalSuberror(), internalErrorName(run.internalSuberror()), rip(), internalData()));
            }
            default: {
                return failed(VmExitCause.OTHER, String.format("%s: unexpected KVM exit reason %d at RIP 0x%x", name(), reason, rip()));
            }
        }
    }

    private void handleIo() {
        int port = run.ioPort();
        int size = run.ioSize();
        int count = run.ioCount();
        long offset = run.ioDataOffset();
        long start = System.nanoTime();
        if (run.ioDirection() == KvmRun.IO_OUT) {
            EXIT_IO_OUT.inc();
            for (int i = 0; i < count; i++) {
                pio.write(port, size, run.readData(offset + (long) i * size, size));
            }
            EXIT_IO_OUT_AGG.recordSince(start);
        } else {
            EXIT_IO_IN.inc();
            for (int i = 0; i < count; i++) {
                run.writeData(offset + (long) i * size, size, pio.read(port, size));
            }
            EXIT_IO_IN_AGG.recordSince(start);
        }
    }

    private void handleMmio() {
        long addr = run.mmioPhysAddr();
        int len = run.mmioLen();
        long start = System.nanoTime();
        if (run.mmioIsWrite()) {
            EXIT_MMIO_WRITE.inc();
            mmio.write(addr, len, run.mmioData(len));
            EXIT_MMIO_WRITE_AGG.recordSince(start);
        } else {
            EXIT_MMIO_READ.inc();
            run.mmioData(len, mmio.read(addr, len));
            EXIT_MMIO_READ_AGG.recordSince(start);
        }
    }

    private boolean handleSystemEvent() {
        int type = run.systemEventType();
        switch (type) {
            case KvmRun.SYSTEM_EVENT_SHUTDOWN:
                vm.requestExit(ExitCode.OK, name() + ": guest requested shutdown (KVM_SYSTEM_EVENT_SHUTDOWN)");
                return false;
            case KvmRun.SYSTEM_EVENT_RESET:
                vm.requestExit(ExitCode.OK, name() + ": guest requested reset (KVM_SYSTEM_EVENT_RESET)");
                return false;
            case KvmRun.SYSTEM_EVENT_CRASH: {
                // (A system event's type shares the suberror's place in kvm_run, so the cause is never emulation.)
                return failed(VmExitCause.OTHER, name() + ": guest reported a crash (KVM_SYSTEM_EVENT_CRASH)");
            }
            default: {
                return failed(VmExitCause.OTHER, String.format("%s: unknown KVM system event type %d", name(), type));
            }
        }
    }

    /**
     * The internal-error data words; for an emulation failure that carries the instruction
     * (flags bit 0 of word 0), also the bytes: word 1 holds the length in its low byte, then the
     * bytes follow little-endian (struct emulation_failure in linux/kvm.h).
     */
    private String internalData() {
        int n = Math.min(run.internalNdata(), KvmRun.MAX_DATA_WORDS);
        StringBuilder b = new StringBuilder("data [");
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                b.append(' ');
            }
            b.append("0x").append(Long.toHexString(run.internalData(i)));
        }
        b.append(']');
        if (run.internalSuberror() == KvmRun.INTERNAL_ERROR_EMULATION && n >= 3 && (run.internalData(0) & 1) != 0) {
            int len = (int) Math.min(run.internalData(1) & 0xFF, 15);
            b.append(", instruction bytes");
            for (int k = 0; k < len; k++) {
                int pos = k + 1; // byte 0 of word 1 is the length
                long word = run.internalData(1 + pos / 8);
                b.append(String.format(" %02x", (word >>> (8 * (pos % 8))) & 0xFF));
            }
        }
        return b.toString();
    }

    private static String internalErrorName(int suberror) {
        switch (suberror) {
            case KvmRun.INTERNAL_ERROR_EMULATION: return "instruction emulation failed";
            case KvmRun.INTERNAL_ERROR_SIMUL_EX: return "exception while delivering an exception";
            case KvmRun.INTERNAL_ERROR_DELIVERY_EV: return "exit during event delivery";
            default: return "unknown";
        }
    }

    /** Guest RIP for diagnostics on the (rare) paths that end the VM. */
    private long rip() {
        try {
            KvmRegs regs = new KvmRegs();
            fd.getRegs(regs);
            return regs.get(KvmRegs.RIP);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** The VM cannot go on: counted, logged, and the VM ends with GENERIC_ERROR; returns false (stop this vCPU's loop). */
    private boolean failed(VmExitCause cause, String message) {
        FAILURES.inc();
        LOG.log(Level.ERROR, message);
        vm.requestExit(ExitCode.GENERIC_ERROR, cause, message);
        return false;
    }
}
