package dev.ember.app;

import dev.ember.arch.x86.BootEntry;
import dev.ember.arch.x86.KernelLoadException;
import dev.ember.arch.x86.X86Boot;
import dev.ember.config.BalloonConfig;
import dev.ember.config.BalloonStats;
import dev.ember.config.BootSourceConfig;
import dev.ember.config.DriveConfig;
import dev.ember.config.MachineConfig;
import dev.ember.config.NetworkInterfaceConfig;
import dev.ember.config.VmResources;
import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemoryException;
import dev.ember.sys.NativeException;
import dev.ember.sys.Termios;
import dev.ember.vm.ExitCode;
import dev.ember.vm.Vm;
import dev.ember.vm.VmConfigurationException;
import dev.ember.vm.VmSpec;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The composition root: turns a validated {@link VmResources} into a running microVM (KVM VM,
 * guest memory, devices on their buses, the loaded kernel, vCPU threads) and carries the
 * requests of the CLI and the API to it.
 *
 * <p>The {@code vmm} event-loop thread owned here serves every device fd; vCPU threads belong to
 * the {@link Vm}. This class is the only place that knows both the configuration model and the
 * device constructors.
 */
public final class Vmm implements VmmControl {
    private static final System.Logger LOG = System.getLogger(Vmm.class.getName());

    /** Used when boot-source has no boot_args: a serial console and a clean reboot path, no PCI. */
    public static final String DEFAULT_BOOT_ARGS =
            "console=ttyS0 reboot=k panic=1 pci=off nomodule i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd";

    private final long vmmStartNanos;
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile State state = State.NOT_STARTED;
    private volatile int exitCode = ExitCode.OK;
    private Machine machine;

    /** For the ServiceLoader: the VMM's start is taken as the moment this class is created. */
    public Vmm() {
        this(System.nanoTime());
    }

    public Vmm(long vmmStartNanos) {
        this.vmmStartNanos = vmmStartNanos;
    }

    @Override
    public State state() {
        return state;
    }

    @Override
    public synchronized void start(VmResources resources) throws VmmException {
        if (state != State.NOT_STARTED) {
            throw new VmmException("the microVM is already running; InstanceStart is accepted once");
        }
        if (ended.getCount() == 0) {
            throw new VmmException("the VMM is shutting down");
        }
        long received = System.nanoTime();
        Machine m = null;
        try {
            m = build(resources);
            m.vm.start();
        } catch (VmConfigurationException | KernelLoadException | GuestMemoryException e) {
            close(m);
            throw new VmmException("cannot start the microVM: " + e.getMessage());
        } catch (NativeException e) {
            close(m);
            throw new VmmException("cannot start the microVM: " + e.getMessage()
                    + " (is /dev/kvm present and accessible to this user?)");
        } catch (RuntimeException e) {
            close(m);
            LOG.log(System.Logger.Level.ERROR, "unexpected failure while starting the microVM", e);
            throw new VmmException("cannot start the microVM: " + e);
        }
        machine = m;
        state = State.RUNNING;
        Machine started = m;
        Thread waiter = new Thread(() -> onVmEnded(started), "vm-exit-waiter");
        waiter.setDaemon(true);
        waiter.start();
        LOG.log(System.Logger.Level.INFO, String.format("microVM started: %d vCPUs, %d MiB; InstanceStart to vCPU threads running in %d us",
                m.vm.vcpuCount(), m.vm.memory().size() >> 20, (System.nanoTime() - received) / 1000));
    }

    private Machine build(VmResources resources) throws VmmException {
        BootSourceConfig boot = resources.bootSource();
        MachineConfig mc = resources.machineConfig();
        VmSpec spec = new VmSpec(mc.vcpuCount().intValue(), mc.memSizeMib() << 20, mc.smt());
        Machine m = new Machine(Vm.create(spec), new EventLoop());
        try {
            m.loop.start("vmm");
            LegacyDevices.attach(m, resources, vmmStartNanos);
            m.virtio = VirtioDevices.attach(m, resources);
            String cmdline = commandLine(boot) + m.virtio.commandLineArguments();
            Path initrd = boot.initrdPath() == null ? null : Path.of(boot.initrdPath());
            BootEntry entry = X86Boot.load(m.vm.memory(), Path.of(boot.kernelImagePath()), initrd, cmdline, spec.vcpuCount());
            m.vm.configureBoot(entry);
            return m;
        } catch (RuntimeException | VmmException e) {
            close(m);
            throw e;
        }
    }

    private static String commandLine(BootSourceConfig boot) {
        String args = boot.bootArgs();
        return args == null || args.isBlank() ? DEFAULT_BOOT_ARGS : args.trim();
    }

    private void onVmEnded(Machine m) {
        int code = m.vm.awaitExit();
        LOG.log(code == ExitCode.OK ? System.Logger.Level.INFO : System.Logger.Level.ERROR,
                "microVM ended: " + m.vm.exitReason() + ", exit code " + ExitCode.describe(code));
        exitCode = code;
        shutdown();
    }

    @Override
    public void pause() throws VmmException {
        Machine m = running("pause");
        m.vm.pause();
        state = State.PAUSED;
    }

    @Override
    public void resume() throws VmmException {
        Machine m = running("resume");
        m.vm.resume();
        state = State.RUNNING;
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
    public void updateNetworkRateLimiters(NetworkInterfaceConfig iface) throws VmmException {
        running("update a network interface of").virtio.updateNetworkRateLimiters(iface);
    }

    @Override
    public void updateBalloon(BalloonConfig balloon) throws VmmException {
        throw new VmmException("not supported yet: balloon device");
    }

    @Override
    public void updateBalloonStatistics(BalloonConfig balloon) throws VmmException {
        throw new VmmException("not supported yet: balloon device");
    }

    @Override
    public BalloonStats balloonStatistics() throws VmmException {
        throw new VmmException("not supported yet: balloon device");
    }

    private Machine running(String verb) throws VmmException {
        Machine m = machine;
        if (m == null || state == State.NOT_STARTED) {
            throw new VmmException("cannot " + verb + " the microVM: it has not been started");
        }
        return m;
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
            close(m);
        }
        ended.countDown();
    }

    private static void close(Machine m) {
        if (m == null) {
            return;
        }
        m.loop.close();
        if (m.virtio != null) {
            m.virtio.close(); // after the loop stopped: no handler runs on a closed file or TAP
        }
        m.vm.close();
        if (m.terminal != null) {
            m.terminal.close();
        }
    }

    /** Everything one running microVM consists of, owned by this class. */
    static final class Machine {
        final Vm vm;
        final EventLoop loop;
        dev.ember.devices.legacy.I8042Device i8042;
        dev.ember.devices.legacy.Serial8250 serial;
        VirtioDevices virtio;
        Termios terminal;
        int serialOutFd = -1;

        Machine(Vm vm, EventLoop loop) {
            this.vm = vm;
            this.loop = loop;
        }
    }
}
