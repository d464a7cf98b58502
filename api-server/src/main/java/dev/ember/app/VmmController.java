package dev.ember.app;

import dev.ember.app.VmmCommand.Phase;
import dev.ember.config.BalloonConfig;
import dev.ember.config.ConfigException;
import dev.ember.config.DataStoreLimitException;
import dev.ember.config.DriveConfig;
import dev.ember.config.InstanceInfo;
import dev.ember.config.MetricsConfig;
import dev.ember.config.SnapshotType;
import dev.ember.config.VmResources;
import dev.ember.config.VersionInfo;
import dev.ember.config.VmStateUpdate;
import dev.ember.log.Log;
import dev.ember.logging.Logging;
import dev.ember.logging.MetricsWriter;
import dev.ember.metrics.Gauge;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one place requests reach the VMM (Firecracker's pre-boot and runtime controllers in one):
 * each {@link VmmCommand} is checked against the phase it declares, handled — configuration
 * into {@link VmResources}, actions and post-boot updates to the {@link MicroVm} — timed
 * into {@code latencies_us} where Firecracker times it, and answered with a {@link VmmResult}.
 *
 * <p>Threading: commands run one at a time, in arrival order, on the {@code ember-vmm-ctl}
 * thread ({@link #executor()}; the API dispatches there, the CLI {@link #submit}s the
 * configuration file there), so configuration changes never race each other and the HTTP I/O
 * thread never waits on a vCPU.
 */
public final class VmmController implements VmmCommand.Handler<VmmResult>, AutoCloseable {
    private static final System.Logger LOG = Log.logger(VmmController.class);
    static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private final String instanceId;
    private final VmResources resources;
    private final MicroVm vmm;
    private final MetricsWriter metrics;
    /**
     * ember-vmm-ctl, started here and kept: a thread inherits its creator's seccomp filters, and
     * restarted by a later request it would be created by the API's I/O thread and inherit the
     * api filter (no KVM, no files), so it must never end while the VMM runs.
     */
    private final ThreadPoolExecutor thread;

    public VmmController(String instanceId, VmResources resources, MicroVm vmm, MetricsWriter metrics) {
        this.instanceId = instanceId;
        this.resources = resources;
        this.vmm = vmm;
        this.metrics = metrics;
        this.thread = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "ember-vmm-ctl");
            t.setDaemon(true);
            return t;
        });
        thread.prestartCoreThread();
    }

    /** The controller thread: what runs here may call {@link #handle}. */
    public Executor executor() {
        return thread;
    }

    /** Runs {@code command} on the controller thread and waits for its result (the CLI's way in). */
    public VmmResult submit(VmmCommand command) throws InterruptedException {
        Future<VmmResult> result = thread.submit(() -> handle(command));
        try {
            return result.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** As {@link #submit} for each command in turn, up to the first that does not succeed. */
    public VmmResult submitAll(List<? extends VmmCommand> commands) throws InterruptedException {
        VmmResult last = VmmResult.DONE;
        for (VmmCommand c : commands) {
            last = submit(c);
            if (last instanceof VmmResult.Failed) {
                break;
            }
        }
        return last;
    }

    /**
     * A request has arrived (its body may still be on its way; any thread): one other than
     * {@code GET /} tells the VMM configuration began now, not once the command is bound, so a
     * snapshot load's first steps (body, state file, recorded configuration) run beside what the
     * VMM then builds ahead (the KVM VM).
     */
    public void requestArrived(String method, String path) {
        if (!("GET".equals(method) && "/".equals(path))) {
            vmm.configurationBegan();
        }
    }

    /**
     * Handles one command on the calling thread, which must be the controller thread (or the
     * only thread using this controller). A bug (a RuntimeException) is not turned into a result.
     */
    public VmmResult handle(VmmCommand command) {
        VmmResult refused = refusedNow(command.getClass());
        if (refused != null) {
            return refused;
        }
        if (!(command instanceof VmmCommand.GetInstanceInfo)) {
            vmm.configurationBegan(); // GET / is every client's first call, configured or not
        }
        long t0 = System.nanoTime();
        try {
            VmmResult result = command.accept(this);
            if (!started() && !(result instanceof VmmResult.Failed)) {
                vmm.configured(resources);
            }
            Gauge latency = latencyGauge(command);
            if (latency != null && !(result instanceof VmmResult.Failed)) {
                LatencyMetrics.since(latency, t0);
            }
            return result;
        } catch (VmmFatalException e) {
            return new VmmResult.Failed(VmmResult.Fault.FATAL, e.getMessage());
        } catch (VmmStoppedException e) {
            return new VmmResult.Failed(VmmResult.Fault.STOPPED, e.getMessage());
        } catch (DataStoreLimitException e) {
            return new VmmResult.Failed(VmmResult.Fault.TOO_LARGE, e.getMessage());
        } catch (ConfigException | VmmException e) {
            return VmmResult.refused(e.getMessage());
        }
    }

    /**
     * The answer to a command of {@code type} now, if its phase forbids it, else null. The API
     * asks before parsing a body, so a late pre-boot request is told so whatever its body says.
     */
    public VmmResult refusedNow(Class<? extends VmmCommand> type) {
        Phase phase = VmmCommand.phaseOf(type);
        if (phase == Phase.PRE_BOOT && started()) {
            return notAfterBoot();
        }
        if (phase == Phase.POST_BOOT && !started()) {
            return notBeforeBoot();
        }
        return null;
    }

    /** Ends the controller thread once the commands already queued have run (bounded wait). */
    @Override
    public void close() {
        thread.shutdown();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The machine behind the commands: the CLI waits on it and stops it. */
    public MicroVm vmm() {
        return vmm;
    }

    /** Ends the process after a {@link VmmResult.Fault#FATAL} answer has been delivered. */
    public void terminate(String reason) {
        vmm.terminate(dev.ember.vm.ExitCode.BAD_CONFIGURATION, reason);
    }

    private boolean started() {
        return vmm.state() != MicroVm.State.NOT_STARTED;
    }

    /** Firecracker's answer to a pre-boot-only request after InstanceStart. */
    private static VmmResult notAfterBoot() {
        return VmmResult.refused("The requested operation is not supported after starting the microVM.");
    }

    /** Firecracker's answer to a post-boot-only request before InstanceStart. */
    private static VmmResult notBeforeBoot() {
        return VmmResult.refused("The requested operation is not supported before starting the microVM.");
    }

    /** Firecracker's latencies_us: the whole request, on success; the vmm_ part is timed by the machine. */
    private static Gauge latencyGauge(VmmCommand command) {
        if (command instanceof VmmCommand.PatchVmState s) {
            return s.update().state() == VmStateUpdate.State.Paused ? LatencyMetrics.PAUSE_VM : LatencyMetrics.RESUME_VM;
        }
        if (command instanceof VmmCommand.CreateSnapshot s) {
            return s.params().snapshotType() == SnapshotType.Diff ? LatencyMetrics.DIFF_CREATE_SNAPSHOT
                    : LatencyMetrics.FULL_CREATE_SNAPSHOT;
        }
        if (command instanceof VmmCommand.LoadSnapshot) {
            return LatencyMetrics.LOAD_SNAPSHOT;
        }
        return null;
    }

    private static VmmResult body(Object value) {
        return new VmmResult.Body(value);
    }

    // --- instance ---

    @Override
    public VmmResult getInstanceInfo(VmmCommand.GetInstanceInfo c) {
        return body(new InstanceInfo(instanceId, vmm.state().apiName(), EmberVersion.VERSION, EmberVersion.APP_NAME));
    }

    @Override
    public VmmResult getVersion(VmmCommand.GetVersion c) {
        return body(new VersionInfo(EmberVersion.VERSION));
    }

    @Override
    public VmmResult getVmConfig(VmmCommand.GetVmConfig c) {
        return body(resources.apiView());
    }

    @Override
    public VmmResult getPrometheusMetrics(VmmCommand.GetPrometheusMetrics c) {
        return new VmmResult.Text(MetricsWriter.openMetrics(), OPENMETRICS);
    }

    @Override
    public VmmResult instanceAction(VmmCommand.InstanceAction c) throws ConfigException, VmmException {
        c.info().validate();
        switch (c.info().actionType()) {
            case InstanceStart -> {
                if (started()) {
                    return notAfterBoot();
                }
                start();
            }
            case SendCtrlAltDel -> {
                if (!started()) {
                    return notBeforeBoot();
                }
                vmm.sendCtrlAltDel();
            }
            case FlushMetrics -> {
                return flushMetrics();
            }
        }
        return VmmResult.DONE;
    }

    /** InstanceStart: checks the configuration can boot, then hands it to the machine. */
    private void start() throws ConfigException, VmmException {
        resources.requireStartable();
        long t0 = System.nanoTime();
        vmm.start(resources);
        LOG.log(System.Logger.Level.INFO, "microVM started in " + (System.nanoTime() - t0) / 1000 + " us");
    }

    private VmmResult flushMetrics() {
        if (!metrics.configured()) {
            return VmmResult.refused("The metrics system is not initialized. (PUT /metrics or start with --metrics-path first)");
        }
        if (!metrics.flush()) {
            return VmmResult.refused("Cannot flush the metrics: the destination did not take the whole line"
                    + " (a FIFO reader may be too slow; see logger.missed_metrics_count)");
        }
        return VmmResult.DONE;
    }

    @Override
    public VmmResult patchVmState(VmmCommand.PatchVmState c) throws ConfigException, VmmException {
        c.update().validate();
        if (c.update().state() == VmStateUpdate.State.Paused) {
            vmm.pause();
        } else {
            vmm.resume();
        }
        return VmmResult.DONE;
    }

    // --- machine ---

    @Override
    public VmmResult getMachineConfig(VmmCommand.GetMachineConfig c) {
        return body(resources.machineConfig());
    }

    @Override
    public VmmResult putMachineConfig(VmmCommand.PutMachineConfig c) throws ConfigException {
        resources.setMachineConfig(c.config());
        return VmmResult.DONE;
    }

    @Override
    public VmmResult patchMachineConfig(VmmCommand.PatchMachineConfig c) throws ConfigException {
        resources.updateMachineConfig(c.update());
        return VmmResult.DONE;
    }

    @Override
    public VmmResult putBootSource(VmmCommand.PutBootSource c) throws ConfigException {
        resources.setBootSource(c.config());
        return VmmResult.DONE;
    }

    @Override
    public VmmResult putCpuConfig(VmmCommand.PutCpuConfig c) throws ConfigException {
        resources.setCpuConfig(c.config());
        return VmmResult.DONE;
    }

    // --- devices ---

    /**
     * PUT /drives: checked, then handed to the VMM (a vhost-user drive's back-end is connected
     * there, as Firecracker connects at PUT, so one nobody serves is refused now), then recorded.
     */
    @Override
    public VmmResult putDrive(VmmCommand.PutDrive c) throws ConfigException, VmmException {
        resources.checkDrive(c.config());
        vmm.putDrive(c.config());
        resources.putDrive(c.config());
        return VmmResult.DONE;
    }

    /**
     * PATCH /drives after boot: validated and merged by the model, taken by the live device, then
     * recorded, so a file the device cannot open changes nothing. A path_on_host, even the
     * current one, makes the device reopen the file (Firecracker: the file may have been resized).
     */
    @Override
    public VmmResult patchDrive(VmmCommand.PatchDrive c) throws ConfigException, VmmException {
        DriveConfig merged = resources.patchedDrive(c.update());
        vmm.updateDrive(merged, c.update().pathOnHost() != null);
        resources.recordPatchedDrive(merged);
        return VmmResult.DONE;
    }

    /**
     * PUT /network-interfaces: recorded, then its TAP opened once, as Firecracker opens it at PUT,
     * so a TAP this process cannot attach (missing rights, a multi-queue TAP, a non-TAP interface)
     * is refused now, not at InstanceStart; the interface is then not kept.
     */
    @Override
    public VmmResult putNetworkInterface(VmmCommand.PutNetworkInterface c) throws ConfigException, VmmException {
        resources.putNetworkInterface(c.config());
        try {
            vmm.checkNetworkInterface(c.config());
        } catch (VmmException e) {
            resources.removeNetworkInterface(c.config().ifaceId());
            throw e;
        }
        return VmmResult.DONE;
    }

    @Override
    public VmmResult patchNetworkInterface(VmmCommand.PatchNetworkInterface c) throws ConfigException, VmmException {
        vmm.updateNetworkRateLimiters(resources.updateNetworkInterface(c.update()));
        return VmmResult.DONE;
    }

    @Override
    public VmmResult putPmem(VmmCommand.PutPmem c) throws ConfigException {
        resources.putPmem(c.config());
        return VmmResult.DONE;
    }

    /** PATCH /pmem after boot: new rate limiter buckets, taken by the live device, then recorded. */
    @Override
    public VmmResult patchPmem(VmmCommand.PatchPmem c) throws ConfigException, VmmException {
        dev.ember.config.PmemConfig merged = resources.patchedPmem(c.update());
        vmm.updatePmemRateLimiter(merged);
        resources.recordPatchedPmem(merged);
        return VmmResult.DONE;
    }

    @Override
    public VmmResult putVsock(VmmCommand.PutVsock c) throws ConfigException {
        resources.setVsock(c.config());
        return VmmResult.DONE;
    }

    @Override
    public VmmResult putEntropy(VmmCommand.PutEntropy c) throws ConfigException {
        resources.setEntropy(c.config());
        return VmmResult.DONE;
    }

    @Override
    public VmmResult putMemoryHotplug(VmmCommand.PutMemoryHotplug c) throws ConfigException {
        resources.setMemoryHotplug(c.config());
        return VmmResult.DONE;
    }

    @Override
    public VmmResult patchMemoryHotplug(VmmCommand.PatchMemoryHotplug c) throws ConfigException, VmmException {
        if (c.update() == null) {
            throw new ConfigException(ConfigException.Reason.MISSING_FIELD, "missing field `requested_size_mib`");
        }
        c.update().validate();
        if (resources.memoryHotplug() == null) {
            throw new VmmException("Memory hotplug update error: " + NO_MEMORY_HOTPLUG);
        }
        vmm.updateMemoryHotplug(c.update().requestedSizeMib());
        return VmmResult.DONE;
    }

    @Override
    public VmmResult getMemoryHotplug(VmmCommand.GetMemoryHotplug c) throws VmmException {
        if (resources.memoryHotplug() == null) {
            throw new VmmException("Internal VMM error: " + NO_MEMORY_HOTPLUG);
        }
        return body(vmm.memoryHotplugStatus());
    }

    /** Firecracker's FindDeviceError text, and the fix. */
    private static final String NO_MEMORY_HOTPLUG = "Failed perform action on device: Device not found"
            + " (configure memory hotplug with PUT /hotplug/memory before boot)";

    @Override
    public VmmResult putSerial(VmmCommand.PutSerial c) throws ConfigException {
        resources.setSerial(c.config());
        return VmmResult.DONE;
    }

    // --- logger and metrics ---

    @Override
    public VmmResult putLogger(VmmCommand.PutLogger c) throws ConfigException {
        resources.setLogger(c.config()); // validates
        Logging.configure(c.config());
        return VmmResult.DONE;
    }

    @Override
    public VmmResult putMetrics(VmmCommand.PutMetrics c) throws ConfigException {
        MetricsConfig previous = resources.metrics();
        resources.setMetrics(c.config());
        try {
            metrics.configure(c.config());
        } catch (ConfigException e) {
            if (previous != null) {
                resources.setMetrics(previous);
            }
            throw e;
        }
        return VmmResult.DONE;
    }

    // --- balloon ---

    @Override
    public VmmResult getBalloon(VmmCommand.GetBalloon c) throws ConfigException {
        resources.requireBalloon();
        return body(resources.balloon());
    }

    @Override
    public VmmResult putBalloon(VmmCommand.PutBalloon c) throws ConfigException {
        resources.setBalloon(c.config());
        return VmmResult.DONE;
    }

    @Override
    public VmmResult patchBalloon(VmmCommand.PatchBalloon c) throws ConfigException, VmmException {
        // The device first: a guest whose driver has not started refuses, and then nothing is recorded.
        BalloonConfig merged = resources.patchedBalloon(c.update());
        vmm.updateBalloon(merged);
        resources.recordPatchedBalloon(merged);
        return VmmResult.DONE;
    }

    @Override
    public VmmResult getBalloonStatistics(VmmCommand.GetBalloonStatistics c) throws ConfigException, VmmException {
        resources.requireBalloon();
        if (resources.balloon().statsPollingIntervalS() == 0) {
            return VmmResult.refused("Statistics for the balloon device are not enabled. (set"
                    + " stats_polling_interval_s with PUT /balloon before boot)");
        }
        return body(vmm.balloonStatistics());
    }

    @Override
    public VmmResult patchBalloonStatistics(VmmCommand.PatchBalloonStatistics c) throws ConfigException, VmmException {
        BalloonConfig merged = resources.patchedBalloonStatistics(c.update());
        vmm.updateBalloonStatistics(merged);
        resources.recordPatchedBalloon(merged);
        return VmmResult.DONE;
    }

    @Override
    public VmmResult startBalloonHinting(VmmCommand.StartBalloonHinting c) throws ConfigException, VmmException {
        VmmResult refused = hintingRefused();
        if (refused != null) {
            return refused;
        }
        vmm.startBalloonHinting(c.cmd().acknowledgeOnStop());
        return VmmResult.DONE;
    }

    @Override
    public VmmResult getBalloonHintingStatus(VmmCommand.GetBalloonHintingStatus c) throws ConfigException, VmmException {
        VmmResult refused = hintingRefused();
        return refused != null ? refused : body(vmm.balloonHintingStatus());
    }

    @Override
    public VmmResult stopBalloonHinting(VmmCommand.StopBalloonHinting c) throws ConfigException, VmmException {
        VmmResult refused = hintingRefused();
        if (refused != null) {
            return refused;
        }
        vmm.stopBalloonHinting();
        return VmmResult.DONE;
    }

    /** Hinting needs a balloon configured with free_page_hinting; null when it has one. */
    private VmmResult hintingRefused() throws ConfigException {
        resources.requireBalloon();
        if (!resources.balloon().freePageHinting()) {
            return VmmResult.refused("Free page hinting is not enabled for the balloon device. (set free_page_hinting"
                    + " with PUT /balloon before boot)");
        }
        return null;
    }

    // --- MMDS ---

    @Override
    public VmmResult getMmds(VmmCommand.GetMmds c) {
        return body(resources.mmds().contents());
    }

    @Override
    public VmmResult putMmds(VmmCommand.PutMmds c) throws ConfigException {
        resources.mmds().put(c.data());
        return VmmResult.DONE;
    }

    @Override
    public VmmResult patchMmds(VmmCommand.PatchMmds c) throws ConfigException {
        resources.mmds().patch(c.patch());
        return VmmResult.DONE;
    }

    @Override
    public VmmResult putMmdsConfig(VmmCommand.PutMmdsConfig c) throws ConfigException {
        resources.setMmdsConfig(c.config());
        return VmmResult.DONE;
    }

    // --- snapshots ---

    @Override
    public VmmResult createSnapshot(VmmCommand.CreateSnapshot c) throws ConfigException, VmmException {
        c.params().validate();
        vmm.createSnapshot(c.params(), resources);
        return VmmResult.DONE;
    }

    @Override
    public VmmResult loadSnapshot(VmmCommand.LoadSnapshot c) throws ConfigException, VmmException {
        c.params().validate();
        if (resources.bootConfigured()) {
            return VmmResult.refused("Loading a microVM snapshot not allowed after configuring boot-specific resources."
                    + " (load it into a fresh Ember process, before any PUT of boot-source, machine-config, drives"
                    + " or network-interfaces)");
        }
        vmm.loadSnapshot(c.params(), resources);
        return VmmResult.DONE;
    }
}
