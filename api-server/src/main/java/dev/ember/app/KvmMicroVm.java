package dev.ember.app;

import dev.ember.arch.x86.KernelLoadException;
import dev.ember.arch.x86.KernelTextMapping;
import dev.ember.log.Log;
import dev.ember.config.BalloonConfig;
import dev.ember.config.BalloonStats;
import dev.ember.config.DriveConfig;
import dev.ember.config.NetworkInterfaceConfig;
import dev.ember.config.SnapshotCreateParams;
import dev.ember.config.SnapshotLoadParams;
import dev.ember.config.StrictReader;
import dev.ember.config.VmResources;
import dev.ember.memory.GuestMemoryException;
import dev.ember.sys.NativeException;
import dev.ember.kvm.Kvm;
import dev.ember.kvm.KvmUnavailableException;
import dev.ember.vm.ExitCode;
import dev.ember.vm.Vm;
import dev.ember.vm.VmExitCause;
import dev.ember.vm.VmConfigurationException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The microVM on KVM: starts the {@link Machine} that {@link MachineBuilder} builds from a
 * validated {@link VmResources} (or takes the one {@link SnapshotLoader} loads), runs it until it
 * ends and carries the {@link VmmController}'s actions and post-boot updates to it.
 *
 * <p>The machine's {@code vmm} event-loop thread serves every device fd; vCPU threads belong to
 * the {@link Vm}.
 */
public final class KvmMicroVm implements MicroVm {
    private static final System.Logger LOG = Log.logger(KvmMicroVm.class);

    /** What a user whose Linux guest stopped on PVM's emulator reads, as one line. */
    static final String PVM_ADVICE = "this host's /dev/kvm is PVM (kvm_pvm), whose emulator cannot run an unmodified"
            + " Linux kernel to user space: boot the PVM-profile kernel (guest-images/out/pvm-vmlinux with the"
            + " arguments in guest-images/kernel/pvm.cmdline), or run the VM under nested real KVM with"
            + " bin/nested-kvm -- bin/ember ... (docs/testing.md)";

    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile State state = State.NOT_STARTED;
    private volatile int exitCode = ExitCode.OK.code();
    /**
     * How long a guest's own end (code OK) of a Uffd-loaded VM waits for the handler watch: long
     * enough for a handler's exit the guest has already felt to be reported, short for an exit.
     */
    private static final Duration UFFD_HANDLER_GONE_GRACE = Duration.ofMillis(250);
    private Machine machine;
    private final VmShellAhead shellAhead = new VmShellAhead();
    private final MachineBuilder builder;
    private final BootAhead bootAhead;
    private final VhostUserDrives vhostUserDrives = new VhostUserDrives();
    /**
     * Made with this object, not in {@link #loadSnapshot}: the AOT training run's load is refused
     * before it gets there, so a method reference first made there was spun at run time in every load.
     */
    private final SnapshotLoader.Owner owner = this::loaded;

    /** The VMM's start is taken as the moment this object is created. */
    public KvmMicroVm() {
        this(System.nanoTime());
    }

    public KvmMicroVm(long vmmStartNanos) {
        this.builder = new MachineBuilder(vmmStartNanos, shellAhead, vhostUserDrives);
        this.bootAhead = new BootAhead(builder::vmAhead);
        LatencyMetrics.register();
    }

    @Override
    public State state() {
        return state;
    }

    /**
     * Builds the KVM VM's configuration-free part on the calling thread, for the first start or
     * load, once configuration begins: a process kept idle in a pool builds nothing, and the
     * build's CPU never lands on the first GET /.
     */
    @Override
    public void prepare() {
        StrictReader.prepare(); // every client's first request has a JSON body: its one-time cost is paid here, idle
        if (!shellAhead.awaitWanted(LoadAhead.IDLE_MILLIS)) {
            LoadAhead.run(); // still idle: a process kept ahead (a pool) loads a snapshot faster afterwards
        }
        shellAhead.buildWhenWanted();
        bootAhead.run();
    }

    @Override
    public void configured(VmResources resources) {
        bootAhead.offer(BootAhead.Plan.of(resources));
    }

    @Override
    public void configurationBegan() {
        shellAhead.want();
    }

    @Override
    public synchronized void start(VmResources resources) throws VmmException {
        if (state != State.NOT_STARTED) {
            throw new VmmException("the microVM is already running; InstanceStart is accepted once");
        }
        if (ended.getCount() == 0) {
            throw new VmmStoppedException();
        }
        long received = System.nanoTime();
        Machine m = null;
        try {
            m = builder.forBoot(resources, bootAhead.take(BootAhead.Plan.of(resources)));
            m.vm.start();
        } catch (VmConfigurationException | KernelLoadException | GuestMemoryException | KvmUnavailableException e) {
            // KvmUnavailableException: the host's doing (no /dev/kvm, no access), said with its fix; no stack trace.
            closeIfBuilt(m);
            throw new VmmException("cannot start the microVM: " + e.getMessage());
        } catch (NativeException e) {
            closeIfBuilt(m);
            throw new VmmException("cannot start the microVM: " + e.getMessage()
                    + " (is /dev/kvm present and accessible to this user?)");
        } catch (RuntimeException e) {
            closeIfBuilt(m);
            LOG.log(System.Logger.Level.ERROR, "unexpected failure while starting the microVM", e);
            throw new VmmException("cannot start the microVM: " + e);
        }
        machine = m;
        state = State.RUNNING;
        watch(m);
        LOG.log(System.Logger.Level.INFO, String.format("microVM started: %d vCPUs, %d MiB; InstanceStart to vCPU threads running in %d us",
                m.vm.vcpuCount(), m.vm.memory().size() >> 20, (System.nanoTime() - received) / 1000));
    }

    private void watch(Machine m) {
        Thread waiter = new Thread(() -> onVmEnded(m), "vm-exit-waiter");
        waiter.setDaemon(true);
        waiter.start();
    }

    private void onVmEnded(Machine m) {
        int code = m.vm.awaitExit();
        String reason = m.vm.exitReason();
        if (code == ExitCode.OK.code() && m.uffd != null && m.uffd.awaitGone(UFFD_HANDLER_GONE_GRACE)) {
            // The guest ended itself just as its page-fault handler died: it ran on the zero pages
            // the kernel hands out once nobody serves them, so its end is no clean one.
            code = ExitCode.GENERIC_ERROR.code();
            reason = reason + ", on guest memory its page-fault handler no longer served (the handler had gone)";
        }
        LOG.log(code == ExitCode.OK.code() ? System.Logger.Level.INFO : System.Logger.Level.ERROR,
                "microVM ended: " + reason + ", exit code " + ExitCode.describe(code));
        if (m.vm.exitCause() == VmExitCause.INSTRUCTION_EMULATION_FAILED && Kvm.hostIsPvm()) {
            LOG.log(System.Logger.Level.ERROR, PVM_ADVICE);
        }
        if (m.vm.exitCause() == VmExitCause.KVM_SHUTDOWN && m.kernel != null) {
            describeKernelText(m);
        }
        synchronized (this) {
            if (machine == m) { // else shutdown() or terminate() stopped it, and their code stands
                exitCode = code;
            }
        }
        shutdown();
    }

    /**
     * After a shutdown exit, whether the guest kernel's page tables for its text are intact: KVM
     * has reset the registers by then, and this tells a stray write over the guest's tables from
     * a CPU that faulted on sound ones (issue 10). Reads the kernel's symbols only now, not at boot.
     */
    private static void describeKernelText(Machine m) {
        try {
            KernelTextMapping check = KernelTextMapping.of(m.kernel);
            if (check != null) {
                LOG.log(System.Logger.Level.INFO, "after KVM_EXIT_SHUTDOWN: " + check.describe(m.vm.memory()));
            }
        } catch (java.io.IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.INFO, "after KVM_EXIT_SHUTDOWN: cannot read the kernel's page tables: " + e);
        }
    }

    @Override
    public void pause() throws VmmException {
        Machine m = running("pause");
        long t0 = System.nanoTime();
        m.vm.pause();
        state = State.PAUSED;
        LatencyMetrics.since(LatencyMetrics.VMM_PAUSE_VM, t0);
    }

    @Override
    public void resume() throws VmmException {
        Machine m = running("resume");
        long t0 = System.nanoTime();
        m.vm.resume();
        state = State.RUNNING;
        LatencyMetrics.since(LatencyMetrics.VMM_RESUME_VM, t0);
    }

    // ---- snapshots ---------------------------------------------------------------------

    @Override
    public synchronized void createSnapshot(SnapshotCreateParams params, VmResources resources) throws VmmException {
        Machine m = running("create a snapshot of");
        if (state != State.PAUSED) {
            throw new VmmException("Cannot create a snapshot of a running microVM: pause it first (PATCH /vm with"
                    + " {\"state\": \"Paused\"})");
        }
        if (resources.vhostUserDrives()) {
            // Firecracker's documented rule and text: the device's state lives in the back-end, which the protocol cannot save.
            throw new VmmException("Snapshotting of vhost-user-blk devices is not supported");
        }
        SnapshotCreator.create(m, params, resources);
    }

    @Override
    public synchronized void loadSnapshot(SnapshotLoadParams params, VmResources resources) throws VmmException {
        if (state != State.NOT_STARTED || machine != null) {
            throw new VmmException("Loading a microVM snapshot not allowed after the microVM was started; use a fresh Ember process");
        }
        if (ended.getCount() == 0) {
            throw new VmmStoppedException();
        }
        new SnapshotLoader(builder, owner).load(params, resources);
    }

    /** A snapshot load's machine, built and started: this VMM's from here on, as a started one is. */
    private synchronized void loaded(Machine m, boolean running) {
        machine = m;
        state = running ? State.RUNNING : State.PAUSED;
        watch(m);
    }

    @Override
    public void sendCtrlAltDel() throws VmmException {
        Machine m = running("send Ctrl+Alt+Del to");
        try {
            m.i8042.sendCtrlAltDel();
        } catch (IllegalStateException e) {
            throw new VmmException(e.getMessage());
        }
    }

    @Override
    public void updateDrive(DriveConfig drive, boolean reopenFile) throws VmmException {
        running("update a drive of").virtio.updateDrive(drive, reopenFile);
    }

    @Override
    public void updatePmemRateLimiter(dev.ember.config.PmemConfig pmem) throws VmmException {
        running("update a pmem device of").virtio.updatePmemRateLimiter(pmem);
    }

    @Override
    public void updateNetworkRateLimiters(NetworkInterfaceConfig iface) throws VmmException {
        running("update a network interface of").virtio.updateNetworkRateLimiters(iface);
    }

    @Override
    public void updateBalloon(BalloonConfig balloon) throws VmmException {
        running("update the balloon of").virtio.balloon().setTarget(balloon.amountMib());
    }

    @Override
    public void updateBalloonStatistics(BalloonConfig balloon) throws VmmException {
        running("update the balloon statistics of").virtio.balloon().setStatisticsInterval(balloon.statsPollingIntervalS());
    }

    @Override
    public BalloonStats balloonStatistics() throws VmmException {
        return running("read the balloon statistics of").virtio.balloon().statistics();
    }

    @Override
    public void startBalloonHinting(boolean acknowledgeOnStop) throws VmmException {
        running("start balloon hinting in").virtio.balloon().startHinting(acknowledgeOnStop);
    }

    @Override
    public void stopBalloonHinting() throws VmmException {
        running("stop balloon hinting in").virtio.balloon().stopHinting();
    }

    @Override
    public dev.ember.config.BalloonHintingStatus balloonHintingStatus() throws VmmException {
        return running("read the balloon hinting status of").virtio.balloon().hintingStatus();
    }

    @Override
    public void updateMemoryHotplug(long requestedSizeMib) throws VmmException {
        running("update the memory hotplug device of").virtio.memoryHotplug().setRequestedSize(requestedSizeMib);
    }

    @Override
    public dev.ember.config.MemoryHotplugStatus memoryHotplugStatus() throws VmmException {
        return running("read the memory hotplug device of").virtio.memoryHotplug().status();
    }

    private Machine running(String verb) throws VmmException {
        Machine m = machine;
        if (m == null || state == State.NOT_STARTED) {
            throw new VmmException("cannot " + verb + " the microVM: it has not been started");
        }
        return m;
    }

    @Override
    public void putDrive(DriveConfig drive) throws VmmException {
        vhostUserDrives.put(drive);
    }

    @Override
    public void checkNetworkInterface(NetworkInterfaceConfig iface) throws VmmException {
        try (dev.ember.devices.net.Tap tap = dev.ember.devices.net.Tap.open(iface.hostDevName())) {
            LOG.log(System.Logger.Level.DEBUG, "network-interfaces[" + iface.ifaceId() + "]: TAP " + tap.name() + " can be attached");
        } catch (dev.ember.devices.net.TapException e) {
            throw new VmmException("network-interfaces[" + iface.ifaceId() + "]: " + e.getMessage());
        }
    }

    @Override
    public void terminate(ExitCode code, String reason) {
        LOG.log(System.Logger.Level.ERROR, "the VMM cannot go on: " + reason + "; exiting with " + code.describe());
        exitCode = code.code();
        shutdown();
    }

    @Override
    public int awaitExit() throws InterruptedException {
        ended.await();
        return exitCode;
    }

    @Override
    public void shutdown() {
        Machine m;
        synchronized (this) {
            if (ended.getCount() == 0) {
                return;
            }
            m = machine;
            machine = null;
            state = State.NOT_STARTED;
        }
        if (m != null) {
            m.vm.requestExit(ExitCode.OK, "the VMM was asked to stop");
            m.close();
        }
        bootAhead.close();
        shellAhead.close();
        vhostUserDrives.close();
        ended.countDown();
    }

    /** A start that failed before {@code m} was built has nothing to close. */
    private static void closeIfBuilt(Machine m) {
        if (m != null) {
            m.close();
        }
    }
}
