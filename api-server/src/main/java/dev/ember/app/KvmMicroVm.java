package dev.ember.app;

import dev.ember.arch.x86.BootEntry;
import dev.ember.arch.x86.KernelLoadException;
import dev.ember.arch.x86.KernelTextMapping;
import dev.ember.arch.x86.X86Boot;
import dev.ember.log.Log;
import dev.ember.pci.PciLayout;
import dev.ember.pci.PciRootComplex;
import dev.ember.pci.PciWindow;
import dev.ember.config.BalloonConfig;
import dev.ember.config.BalloonStats;
import dev.ember.config.BootSourceConfig;
import dev.ember.config.DriveConfig;
import dev.ember.config.HugePages;
import dev.ember.config.MachineConfig;
import dev.ember.config.NetworkInterfaceConfig;
import dev.ember.config.SnapshotCreateParams;
import dev.ember.config.SnapshotLoadParams;
import dev.ember.config.StrictReader;
import dev.ember.config.VmResources;
import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;
import dev.ember.memory.HugePagesUnavailableException;
import dev.ember.memory.RamBacking;
import dev.ember.memory.GuestMemoryException;
import dev.ember.sys.NativeException;
import dev.ember.kvm.Kvm;
import dev.ember.kvm.KvmUnavailableException;
import dev.ember.vm.ExitCode;
import dev.ember.vm.Vm;
import dev.ember.vm.VmShell;
import dev.ember.vm.VmExitCause;
import dev.ember.vm.VmConfigurationException;
import dev.ember.vm.VmSpec;
import dev.ember.vm.x86.CpuTemplateException;
import dev.ember.vm.x86.GuestCpuTemplate;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The microVM on KVM: turns a validated {@link VmResources} into a running machine (KVM VM,
 * guest memory, devices on their buses, the loaded kernel, vCPU threads) and carries the
 * {@link VmmController}'s actions and post-boot updates to it.
 *
 * <p>The {@code vmm} event-loop thread owned here serves every device fd; vCPU threads belong to
 * the {@link Vm}. This class is the only place that knows both the configuration model and the
 * device constructors.
 */
public final class KvmMicroVm implements MicroVm {
    private static final System.Logger LOG = Log.logger(KvmMicroVm.class);

    /** What a user whose Linux guest stopped on PVM's emulator reads, as one line. */
    static final String PVM_ADVICE = "this host's /dev/kvm is PVM (kvm_pvm), whose emulator cannot run an unmodified"
            + " Linux kernel to user space: boot the PVM-profile kernel (guest-images/out/pvm-vmlinux with the"
            + " arguments in guest-images/kernel/pvm.cmdline), or run the VM under nested real KVM with"
            + " bin/nested-kvm -- bin/ember ... (docs/testing.md)";

    /** Used when boot-source has no boot_args: a serial console and a clean reboot path, no PCI. */
    public static final String DEFAULT_BOOT_ARGS =
            "console=ttyS0 reboot=k panic=1 pci=off nomodule i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd";
    /** The same with --enable-pci: without {@code pci=off}, which would hide every device. */
    public static final String DEFAULT_BOOT_ARGS_PCI = DEFAULT_BOOT_ARGS.replace(" pci=off", "");

    private final long vmmStartNanos;
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile State state = State.NOT_STARTED;
    private volatile int exitCode = ExitCode.OK.code();
    private Machine machine;
    private final VmShellAhead shellAhead = new VmShellAhead();
    private final BootAhead bootAhead = new BootAhead(this::vmAhead);

    /** The VMM's start is taken as the moment this object is created. */
    public KvmMicroVm() {
        this(System.nanoTime());
    }

    public KvmMicroVm(long vmmStartNanos) {
        this.vmmStartNanos = vmmStartNanos;
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

    /** The VM {@link BootAhead} builds for {@code plan}: memory slots and vCPUs on the shell built ahead. */
    private Vm vmAhead(BootAhead.Plan plan) throws VmmException {
        HostMemory.requireBackable(plan.spec().memSizeBytes() >> 20);
        return createVm(plan.spec(), guestRam(plan.spec(), plan.hugePages()), plan.trackDirtyPages());
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
            m = build(resources);
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

    static VmSpec spec(VmResources resources) {
        MachineConfig mc = resources.machineConfig();
        return new VmSpec(mc.vcpuCount().intValue(), mc.memSizeMib() << 20, mc.smt());
    }

    /**
     * The VM plus its event loop and devices, as {@code resources} describes them; nothing loaded
     * or running yet. {@code live} is the process's own configuration, whose MMDS store the
     * guest reads (after a snapshot load {@code resources} is the recorded one).
     */
    Machine assemble(Vm vm, VmResources resources, VmResources live) throws VmmException {
        return assemble(vm, BootAhead.startEventLoop(vm), resources, live);
    }

    /** {@link #assemble(Vm, VmResources, VmResources)} around an event loop already started for {@code vm}. */
    private Machine assemble(Vm vm, EventLoop loop, VmResources resources, VmResources live) throws VmmException {
        Machine m = new Machine(vm, loop);
        try {
            LegacyDevices.attach(m, resources, vmmStartNanos);
            if (live.pciEnabled()) {
                m.pci = pciRootComplex(vm);
            }
            m.virtio = VirtioDevices.attach(m, resources, live.mmds()::read);
            return m;
        } catch (RuntimeException | VmmException e) {
            m.close();
            throw e;
        }
    }

    /**
     * Bus 0 with its ECAM window, the 32-bit BAR window in the MMIO gap and a 64-bit one placed
     * before any device memory (pmem, virtio-mem), so a boot and a snapshot load place them alike.
     */
    private static PciRootComplex pciRootComplex(Vm vm) {
        long mmio64 = vm.addressSpace().reserveAddressSpace(PciLayout.MMIO64_SIZE, PciLayout.MMIO64_ALIGNMENT);
        return new PciRootComplex(vm.mmioBus(), new PciWindow("32-bit", PciLayout.MMIO32_BASE, PciLayout.MMIO32_SIZE),
                new PciWindow("64-bit", mmio64, PciLayout.MMIO64_SIZE));
    }

    /** Guest RAM backed as machine-config.huge_pages says; a short hugetlbfs pool is the user's to fix. */
    static GuestMemory guestRam(VmSpec spec, HugePages hugePages) throws VmmException {
        RamBacking backing = hugePages == HugePages.Hugetlbfs2M ? RamBacking.HUGETLBFS_2M
                : hugePages == HugePages.Transparent ? RamBacking.TRANSPARENT : RamBacking.PAGES_4K;
        try {
            return GuestMemory.create(spec.memSizeBytes(), backing);
        } catch (HugePagesUnavailableException e) {
            throw new VmmException("machine-config.huge_pages is 2M: " + e.getMessage());
        }
    }

    private Machine build(VmResources resources) throws VmmException {
        BootSourceConfig boot = resources.bootSource();
        BootAhead.Built ahead = bootAhead.take(BootAhead.Plan.of(resources));
        if (ahead == null) {
            HostMemory.requireBackable(resources.machineConfig().memSizeMib()); // a build ahead checked it already
        }
        VmSpec spec = spec(resources);
        Machine m;
        if (ahead != null) {
            m = assemble(ahead.vm, ahead.loop, resources, resources);
        } else {
            boolean track = Boolean.TRUE.equals(resources.machineConfig().trackDirtyPages());
            GuestMemory ram = guestRam(spec, resources.machineConfig().hugePages());
            m = assemble(createVm(spec, ram, track), resources, resources);
        }
        try {
            String cmdline = commandLine(boot, m.pci != null) + m.virtio.commandLineArguments();
            Path initrd = boot.initrdPath() == null ? null : Path.of(boot.initrdPath());
            m.kernel = Path.of(boot.kernelImagePath());
            if (ahead != null && ahead.entry() != null) {
                // Tables written and vCPUs in their boot state ahead: only the devices' command line is left.
                X86Boot.writeCommandLine(m.vm.memory(), ahead.images(), cmdline);
                return m;
            }
            X86Boot.Images images = ahead != null && ahead.images() != null ? ahead.images()
                    : X86Boot.loadImages(m.vm.memory(), m.kernel, initrd);
            BootEntry entry = X86Boot.finish(m.vm.memory(), images, cmdline, spec.vcpuCount(),
                    m.pci == null ? null : m.pci.resources());
            GuestCpuTemplate template = CpuTemplates.forBoot(resources);
            try {
                m.vm.configureBoot(entry, template);
            } catch (CpuTemplateException e) {
                String refusal = CpuTemplates.refusal(template, e, m.vm.hostCpuVendor());
                m.close();
                throw new VmmException(refusal);
            }
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** The VM on the shell built ahead if there is one; {@code memory} is the VM's (closed on failure). */
    Vm createVm(VmSpec spec, GuestMemory memory, boolean track) {
        VmShell shell;
        try {
            shell = shellAhead.take();
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
        return Vm.create(shell, spec, memory, track);
    }

    /**
     * boot_args (or the default), with {@code pci=off} added when PCI is off and the arguments do
     * not say it already, as Firecracker does: the kernel then skips probing for a bus that is
     * not there.
     */
    static String commandLine(BootSourceConfig boot, boolean pci) {
        String args = boot.bootArgs();
        if (args == null || args.isBlank()) {
            return pci ? DEFAULT_BOOT_ARGS_PCI : DEFAULT_BOOT_ARGS;
        }
        args = args.trim();
        return pci || (" " + args + " ").contains(" pci=off ") ? args : args + " pci=off";
    }

    private void onVmEnded(Machine m) {
        int code = m.vm.awaitExit();
        LOG.log(code == ExitCode.OK.code() ? System.Logger.Level.INFO : System.Logger.Level.ERROR,
                "microVM ended: " + m.vm.exitReason() + ", exit code " + ExitCode.describe(code));
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
        new SnapshotLoader(this).load(params, resources);
    }

    /** A snapshot load's machine, built and started: this VMM's from here on, as a started one is. */
    synchronized void loaded(Machine m, boolean running) {
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
        ended.countDown();
    }

    /** A start that failed before {@code m} was built has nothing to close. */
    private static void closeIfBuilt(Machine m) {
        if (m != null) {
            m.close();
        }
    }
}
