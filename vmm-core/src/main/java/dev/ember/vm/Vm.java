package dev.ember.vm;

import dev.ember.arch.x86.BootEntry;
import dev.ember.bus.Bus;
import dev.ember.concurrent.Uninterruptibly;
import dev.ember.eventloop.EventFd;
import dev.ember.kvm.Kvm;
import dev.ember.kvm.KvmCap;
import dev.ember.kvm.KvmCpuid2;
import dev.ember.kvm.VcpuFd;
import dev.ember.kvm.VmFd;
import dev.ember.log.Log;
import dev.ember.memory.GuestMemory;
import dev.ember.snapshot.SnapshotFormatException;
import dev.ember.snapshot.StateSections;
import dev.ember.sys.NativeException;
import dev.ember.vm.x86.CpuTemplateApplier;
import dev.ember.vm.x86.CpuTemplateException;
import dev.ember.vm.x86.GuestCpuTemplate;
import dev.ember.vm.x86.X86VcpuSetup;
import dev.ember.vm.x86.X86VcpuState;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A KVM virtual machine: guest memory placed in its {@link GuestAddressSpace}, the in-kernel
 * irqchip and PIT with the devices' {@link InterruptLines}, the I/O buses, and the vCPU threads
 * ({@code VcpuThreads}); the VM itself keeps how it exited. The composition root creates it,
 * lets the loader fill {@link #memory()}, registers devices on {@link #pioBus()}/{@link #mmioBus()},
 * calls {@link #configureBoot}, {@link #start}, then {@link #awaitExit} and {@link #close}.
 *
 * <p>Threads: one platform thread per vCPU ({@code fc_vcpu 0}, {@code fc_vcpu 1}, ..., Firecracker's names) runs KVM_RUN and
 * calls bus devices for port-I/O and MMIO exits. Every other method may be called from any
 * thread (the API thread pauses and resumes, devices request the exit, the main thread awaits it).
 */
public final class Vm implements ExitRequest, IoEventRegistrar, AutoCloseable {
    private static final Logger LOG = Log.logger(Vm.class);
    /** Three pages KVM needs for its real-mode TSS, in the MMIO gap below 4 GiB (as Firecracker). */
    public static final long TSS_ADDRESS = 0xfffbd000L;
    /** One page for KVM's EPT identity map, just below the TSS pages. */
    public static final long IDENTITY_MAP_ADDRESS = 0xfffbc000L;
    private static final long JOIN_TIMEOUT_MS = 5000;

    private final VmSpec spec;
    private final Kvm kvm;
    private final VmFd vmFd;
    private final GuestMemory memory;
    private final KvmCpuid2 supportedCpuid;
    private final boolean tscDeadline;
    private final boolean xsave;
    private final X86VcpuState.Capabilities stateCaps;
    private final Bus pioBus = new Bus("pio");
    private final Bus mmioBus = new Bus("mmio");
    private final VcpuThreads vcpus;
    private final InterruptLines interrupts;
    private final GuestAddressSpace addressSpace;

    private final AtomicBoolean exitClaimed = new AtomicBoolean();
    private final CountDownLatch exitLatch = new CountDownLatch(1);
    private volatile int exitCode = -1;
    private volatile String exitReason;
    private volatile VmExitCause exitCause = VmExitCause.OTHER;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Vm(VmSpec spec, Kvm kvm, VmFd vmFd, GuestMemory memory, GuestAddressSpace addressSpace, KvmCpuid2 supportedCpuid,
               boolean tscDeadline, boolean xsave, X86VcpuState.Capabilities stateCaps, VcpuFd[] vcpuFds) {
        this.stateCaps = stateCaps;
        this.spec = spec;
        this.kvm = kvm;
        this.vmFd = vmFd;
        this.memory = memory;
        this.addressSpace = addressSpace;
        this.supportedCpuid = supportedCpuid;
        this.tscDeadline = tscDeadline;
        this.xsave = xsave;
        this.vcpus = new VcpuThreads(this, vcpuFds, pioBus, mmioBus);
        this.interrupts = new InterruptLines(kvm, vmFd, Kvm.hostIsPvm() ? vcpus.vcpus() : null);
    }

    /**
     * Opens /dev/kvm and builds the VM: memory slots for every RAM region, TSS and identity-map
     * addresses, in-kernel irqchip, PIT (speaker port as a dummy), and the vCPUs (not yet running).
     *
     * @throws dev.ember.kvm.KvmUnavailableException /dev/kvm cannot be opened
     * @throws VmConfigurationException the host KVM cannot provide what {@code spec} asks for
     */
    public static Vm create(VmSpec spec) {
        return create(spec, GuestMemory.create(spec.memSizeBytes()));
    }

    /**
     * Like {@link #create(VmSpec)}, with guest RAM the caller mapped (e.g. a snapshot's memory
     * file); the VM owns {@code memory} from here on and unmaps it on {@link #close} or failure.
     */
    public static Vm create(VmSpec spec, GuestMemory memory) {
        return create(spec, memory, false);
    }

    /**
     * Like {@link #create(VmSpec, GuestMemory)}; with {@code trackDirtyPages} the memory slots log
     * the guest's writes (KVM_MEM_LOG_DIRTY_PAGES) and {@code memory} records the VMM's, so
     * {@link GuestAddressSpace#takeDirtyPages} can tell which pages changed (Diff snapshots).
     */
    public static Vm create(VmSpec spec, GuestMemory memory, boolean trackDirtyPages) {
        VmShell shell;
        try {
            shell = VmShell.create();
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
        return create(shell, spec, memory, trackDirtyPages);
    }

    /**
     * Like {@link #create(VmSpec, GuestMemory, boolean)} on a {@link VmShell} built earlier: adds
     * the memory slots and the vCPUs {@code spec} asks for. The VM owns {@code shell} from here
     * on (on failure both it and {@code memory} are closed); a shell builds one VM.
     */
    public static Vm create(VmShell shell, VmSpec spec, GuestMemory memory, boolean trackDirtyPages) {
        try {
            shell.take();
        } catch (IllegalStateException e) {
            memory.close();
            throw e;
        }
        if (memory.size() != spec.memSizeBytes()) {
            memory.close();
            shell.vmFd.close();
            shell.kvm.close();
            throw new VmConfigurationException("guest memory is " + memory.size() + " bytes but the VM needs " + spec.memSizeBytes());
        }
        Kvm kvm = shell.kvm;
        VmFd vmFd = shell.vmFd;
        List<VcpuFd> vcpuFds = new ArrayList<>();
        try {
            requireVcpuCount(kvm, spec);
            GuestAddressSpace addressSpace = GuestAddressSpace.withRam(kvm, vmFd, memory, trackDirtyPages);
            for (int i = 0; i < spec.vcpuCount(); i++) {
                vcpuFds.add(vmFd.createVcpu(i));
            }
            Vm vm = new Vm(spec, kvm, vmFd, memory, addressSpace, shell.supportedCpuid, shell.tscDeadline, shell.xsave, shell.stateCaps,
                    vcpuFds.toArray(new VcpuFd[0]));
            // Concatenated, not {0} parameters: the log's MessageFormat sets up number formatting
            // (a DecimalFormat, a type switch spun at run time: ~10 ms interpreted) the first time a
            // number is a parameter, and this line is on the path of every start and snapshot load.
            LOG.log(Level.INFO, "created VM: " + spec.vcpuCount() + " vCPU(s)" + (spec.threadsPerCore() > 1 ? " (SMT)" : "")
                    + ", " + (spec.memSizeBytes() >> 20) + " MiB in " + addressSpace.ramSlots() + " memory slot(s)");
            return vm;
        } catch (RuntimeException e) {
            for (VcpuFd v : vcpuFds) {
                v.close();
            }
            vmFd.close();
            memory.close();
            kvm.close();
            throw e;
        }
    }

    private static void requireVcpuCount(Kvm kvm, VmSpec spec) {
        int maxVcpus = kvm.checkExtension(KvmCap.MAX_VCPUS);
        if (maxVcpus == 0) {
            maxVcpus = kvm.checkExtension(KvmCap.NR_VCPUS);
        }
        if (maxVcpus > 0 && spec.vcpuCount() > maxVcpus) {
            throw new VmConfigurationException("vcpu_count is " + spec.vcpuCount() + " but host KVM allows at most " + maxVcpus);
        }
        int recommended = kvm.checkExtension(KvmCap.NR_VCPUS);
        if (recommended > 0 && spec.vcpuCount() > recommended) {
            LOG.log(Level.WARNING, "vcpu_count {0} exceeds the {1} vCPUs host KVM recommends (KVM_CAP_NR_VCPUS)",
                    spec.vcpuCount(), recommended);
        }
    }

    public VmSpec spec() {
        return spec;
    }

    public GuestMemory memory() {
        return memory;
    }

    /** Where RAM, device memory and hotpluggable memory sit in guest-physical space, and their KVM slots. */
    public GuestAddressSpace addressSpace() {
        return addressSpace;
    }

    /** Interrupt lines into KVM's irqchip (IOAPIC pins, MSI-X vectors) for the devices. */
    public InterruptLines interrupts() {
        return interrupts;
    }

    public Bus pioBus() {
        return pioBus;
    }

    public Bus mmioBus() {
        return mmioBus;
    }

    /** "AMD", "Intel", or the raw vendor: the host CPU's, as KVM reports it in CPUID leaf 0. */
    public String hostCpuVendor() {
        return CpuTemplateApplier.vendorName(supportedCpuid);
    }

    public int vcpuCount() {
        return vcpus.count();
    }

    /** The VM fd, for state capture (irqchip, PIT, clock) while paused. */
    public VmFd vmFd() {
        return vmFd;
    }

    /** vCPU {@code id}'s thread once started, else null (tests look at it). */
    Thread vcpuThread(int id) {
        return vcpus.vcpu(id).thread();
    }

    /** vCPU {@code id}'s fd, for state capture while paused (never while running: its thread owns it). */
    public VcpuFd vcpuFd(int id) {
        return vcpus.vcpu(id).fd();
    }

    @Override
    public void registerIoEvent(long mmioAddress, int length, long datamatch, EventFd fd) {
        if (length != 0 && length != 1 && length != 2 && length != 4 && length != 8) {
            throw new IllegalArgumentException("ioeventfd length must be 0, 1, 2, 4 or 8 bytes, was " + length);
        }
        vmFd.registerIoeventfd(mmioAddress, length, datamatch, fd.fd(), false);
    }

    @Override
    public void unregisterIoEvent(long mmioAddress, int length, long datamatch, EventFd fd) {
        vmFd.unregisterIoeventfd(mmioAddress, length, datamatch, fd.fd(), false);
    }

    /**
     * Puts every vCPU into its boot state: normalised CPUID, boot MSRs, FPU and LAPIC LINT pins on
     * all; 64-bit registers at {@code entry} on vCPU 0; the others wait for INIT-SIPI-SIPI.
     * Call after the loader has written the GDT and page tables {@code entry} points at, before {@link #start}.
     */
    public void configureBoot(BootEntry entry) {
        configureBoot(entry, null);
    }

    /**
     * Like {@link #configureBoot(BootEntry)}, with a CPU template applied to every vCPU (null for
     * none): checked against the host and KVM first, then its CPUID bits go under the normalised
     * CPUID and its MSR bits over the boot MSRs.
     *
     * @throws CpuTemplateException the template does not fit this host (Firecracker's reason in the message)
     */
    public void configureBoot(BootEntry entry, GuestCpuTemplate template) {
        vcpus.requireNotStarted("configureBoot");
        if (template != null) {
            CpuTemplateApplier.checkHost(template, supportedCpuid);
            CpuTemplateApplier.checkCapabilities(template, kvm::checkExtension);
        }
        for (Vcpu v : vcpus.vcpus()) {
            VcpuFd fd = v.fd();
            try {
                X86VcpuSetup.setCpuid(fd, supportedCpuid, template, vcpus.count(), spec.threadsPerCore(), tscDeadline);
                X86VcpuSetup.setBootMsrs(fd);
                if (template != null) {
                    CpuTemplateApplier.applyMsrs(template, fd);
                }
                X86VcpuSetup.setFpu(fd, xsave);
                X86VcpuSetup.setLapicLints(fd);
                if (v.id() == 0) {
                    X86VcpuSetup.setLongModeEntry(fd, entry, memory);
                } else {
                    X86VcpuSetup.setWaitForSipi(fd);
                }
            } catch (NativeException e) {
                throw new VmConfigurationException("cannot put " + v.name() + " into its boot state: " + e.getMessage(), e);
            }
        }
        vcpus.stateLoaded();
        LOG.log(Level.INFO, String.format("boot vCPU enters 0x%x (boot_params 0x%x, stack 0x%x, CR3 0x%x)",
                entry.entryPoint(), entry.zeroPage(), entry.stackPointer(), entry.pml4()));
    }

    // ---- snapshots ---------------------------------------------------------------------

    /**
     * Writes the VM's kernel-side state into {@code out}: section {@code vm} (shape, PIT, kvmclock,
     * both PICs, IOAPIC) and one section {@code vcpuN} per vCPU. The VM must be paused (or not
     * yet started): a running vCPU's registers would be stale the moment they are read.
     */
    public void saveState(StateSections out) {
        vcpus.requireNotVcpuThread("saveState()");
        if (!vcpus.quiescent()) {
            throw new IllegalStateException("the VM must be paused to save its state");
        }
        KvmVmState.save(vmFd, vcpus.vcpus(), memory.size(), stateCaps, out);
    }

    /**
     * Puts the state {@link #saveState} wrote into this freshly created VM (same vCPU count and
     * memory size), instead of {@link #configureBoot}. Call before {@link #start}.
     *
     * @throws SnapshotFormatException the state does not fit this VM or KVM refuses it
     */
    public void restoreState(StateSections in) {
        vcpus.requireNotStarted("restoreState");
        KvmVmState.restore(vmFd, vcpus.vcpus(), memory.size(), in);
        vcpus.stateLoaded();
    }

    /**
     * Starts one thread per vCPU (the threads {@link #prepareThreads} made, if it was called, go
     * on). If {@link #pause} was called first, the vCPUs start parked.
     */
    public void start() {
        vcpus.start();
    }

    /**
     * Starts the vCPU threads ahead of {@link #start}: each sets itself up (its kick signal, its
     * seccomp filter) and waits, counted as parked, so start only wakes them; a VM closed first
     * ends them. A thread inherits its creator's seccomp filters: call this from a thread that
     * carries the vmm filter alone. Set-up ioctls ({@link #configureBoot}) stay allowed meanwhile:
     * they come from the caller's thread, not the vCPU's.
     */
    public void prepareThreads() {
        vcpus.prepare();
    }

    /**
     * Makes every vCPU leave KVM_RUN and park; returns once all are parked (or gone).
     *
     * @throws IllegalStateException when called on a vCPU thread (it would wait for itself)
     */
    public void pause() {
        vcpus.pause();
    }

    public void resume() {
        vcpus.resume();
    }

    public boolean isPaused() {
        return vcpus.isPaused();
    }

    /** Firecracker's vmm.panic_count: stored as 1 when a bug ended the VM. */
    private static final dev.ember.metrics.Gauge PANIC = dev.ember.metrics.FirecrackerMetrics.VMM.declare().gauge("panic_count");

    /**
     * An unexpected error ended one of the VMM's own threads (a vCPU, the event loop that serves
     * every device): the VM cannot go on, so it ends with {@link ExitCode#UNEXPECTED_ERROR}
     * (Firecracker's process ends on a panic too) instead of running on with its devices dead.
     */
    public void threadFailed(String thread, Throwable t) {
        LOG.log(Level.ERROR, thread + " failed", t);
        PANIC.set(1);
        requestExit(ExitCode.UNEXPECTED_ERROR, thread + " failed: " + t);
    }

    /** Ends the VM: the first request fixes the exit code; every vCPU stops. Any thread. */
    @Override
    public void requestExit(int code, String reason) {
        requestExit(code, VmExitCause.OTHER, reason);
    }

    /** {@link #requestExit(int, String)} with a cause the layers above can act on. */
    public void requestExit(ExitCode code, VmExitCause cause, String reason) {
        requestExit(code.code(), cause, reason);
    }

    /** {@link #requestExit(int, String)} with a cause the layers above can act on. */
    public void requestExit(int code, VmExitCause cause, String reason) {
        if (!exitClaimed.compareAndSet(false, true)) {
            LOG.log(Level.DEBUG, "exit already requested; ignoring {0} ({1})", ExitCode.describe(code), reason);
            return;
        }
        exitCode = code;
        exitReason = reason;
        exitCause = cause;
        LOG.log(code == ExitCode.OK.code() ? Level.INFO : Level.ERROR, "VM exit requested: {0}: {1}", ExitCode.describe(code), reason);
        vcpus.stopAll();
        exitLatch.countDown();
    }

    /** Blocks until an exit is requested; returns its process status (an {@link ExitCode}'s, or a test guest's own). */
    public int awaitExit() {
        Uninterruptibly.await(exitLatch);
        return exitCode;
    }

    /** Waits at most {@code timeout} for an exit request; true if there was one ({@link #exitCode()} then holds it). */
    public boolean awaitExit(Duration timeout) throws InterruptedException {
        return exitLatch.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The exit code once an exit was requested, else -1. */
    public int exitCode() {
        return exitCode;
    }

    /** Why the VM exited, once it did. */
    public String exitReason() {
        return exitReason;
    }

    /** The exit's cause as data, once it exited ({@link VmExitCause#OTHER} before). */
    public VmExitCause exitCause() {
        return exitCause;
    }

    /** System.nanoTime() (CLOCK_MONOTONIC) when the first vCPU first entered KVM_RUN, or 0 if none has. */
    public long firstKvmRunNanos() {
        return vcpus.firstKvmRunNanos();
    }

    /** Stops the vCPUs (exit code OK unless one was already requested), then frees every KVM and memory resource. */
    @Override
    public void close() {
        vcpus.requireNotVcpuThread("close()");
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        addressSpace.vmClosing();
        requestExit(ExitCode.OK, "VM closed");
        if (!vcpus.join(JOIN_TIMEOUT_MS)) {
            return;
        }
        vcpus.closeFds();
        interrupts.close();
        vmFd.close();
        kvm.close();
        memory.close();
    }
}
