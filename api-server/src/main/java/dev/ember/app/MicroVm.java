package dev.ember.app;

import dev.ember.config.BalloonConfig;
import dev.ember.config.BalloonStats;
import dev.ember.config.DriveConfig;
import dev.ember.config.NetworkInterfaceConfig;
import dev.ember.config.SnapshotCreateParams;
import dev.ember.config.SnapshotLoadParams;
import dev.ember.config.VmResources;
import dev.ember.vm.ExitCode;

/**
 * The machine as {@link VmmController} drives it: turns a validated {@link VmResources} into a
 * running microVM and carries the actions and post-boot updates to it. {@link KvmMicroVm} is the
 * real one, built by the composition root ({@code dev.ember.cli.Main}); tests pass a double.
 *
 * <p>Threading: the controller calls these from its {@code ember-vmm-ctl} thread, never from
 * the HTTP I/O thread, one call at a time; {@link #awaitExit()} and {@link #shutdown()} may be called
 * from any thread (the CLI's main thread and the signal/shutdown hook). No method may wait on
 * a vCPU thread for longer than it takes the vCPU to leave KVM_RUN.
 *
 * <p>Errors: a {@link VmmException}'s message is shown to the user as the API's
 * {@code fault_message} or the CLI's error line, so it says what failed and what to do.
 */
public interface MicroVm {

    /** The states reported by GET / ({@link #apiName()} is Firecracker's spelling). */
    enum State {
        NOT_STARTED("Not started"), RUNNING("Running"), PAUSED("Paused");

        private final String apiName;

        State(String apiName) {
            this.apiName = apiName;
        }

        public String apiName() {
            return apiName;
        }
    }

    State state();

    /**
     * Builds the VM from {@code resources} (memory, devices, kernel and initrd, command line)
     * and starts its vCPUs; returns once they run. The caller has already checked
     * {@link VmResources#requireStartable()}. On failure nothing is left running and the state
     * stays {@link State#NOT_STARTED}. The resources object stays shared: post-boot updates
     * are applied to it by the caller before the matching update method below is called.
     */
    void start(VmResources resources) throws VmmException;

    /**
     * Called on the CLI's main thread once the API serves: waits until a client begins to
     * configure the VM ({@link #configurationBegan}) or the VMM stops, then does on this thread
     * the work for the first start or snapshot load that no configuration decides; it changes
     * nothing a request can see. Returns at once by default.
     */
    default void prepare() {}

    /**
     * A request other than GET / arrived (called from the API's I/O thread, or the controller's):
     * the work {@link #prepare} waits for may begin.
     */
    default void configurationBegan() {}

    /**
     * A command before the start was handled and {@code resources} hold the configuration now:
     * {@link #prepare}'s thread may build ahead what it decides (and rebuild on a change). On the
     * controller's thread; only reads {@code resources}, changes nothing a request can see.
     */
    default void configured(VmResources resources) {}

    /** Stops all vCPUs (they leave KVM_RUN and wait); devices stop processing queues. */
    void pause() throws VmmException;

    void resume() throws VmmException;

    /** Injects Ctrl+Alt+Del through the i8042 (the guest then usually reboots, ending the VM). */
    void sendCtrlAltDel() throws VmmException;

    /**
     * PATCH /drives: {@code drive} is the merged configuration (backing file and limiter);
     * {@code reopenFile} says the PATCH named path_on_host, so the device opens that file again
     * (a new one, or the same one resized) and tells the guest its capacity changed. On failure
     * the device keeps its old file and limiter.
     */
    void updateDrive(DriveConfig drive, boolean reopenFile) throws VmmException;

    /**
     * PUT /drives before boot, {@code drive} valid and about to be recorded: a vhost-user drive's
     * back-end is connected and negotiated now, as Firecracker does at PUT, so a socket nobody
     * serves is refused here; the start then uses that connection. The drive's earlier
     * connection, if any, is closed. On failure the drive is not recorded (the caller records after).
     */
    default void putDrive(DriveConfig drive) throws VmmException {
    }

    /**
     * PUT /network-interfaces before boot: attaches the interface's TAP once and lets it go, so
     * a TAP that cannot be used is refused at PUT, as Firecracker (which opens it there) does.
     */
    default void checkNetworkInterface(NetworkInterfaceConfig iface) throws VmmException {
    }

    /** PATCH /pmem: {@code pmem} carries the merged rate limiter. */
    void updatePmemRateLimiter(dev.ember.config.PmemConfig pmem) throws VmmException;

    /** PATCH /network-interfaces: {@code iface} carries the merged rx/tx rate limiters. */
    void updateNetworkRateLimiters(NetworkInterfaceConfig iface) throws VmmException;

    /** PATCH /balloon after boot: a new target size. */
    void updateBalloon(BalloonConfig balloon) throws VmmException;

    /** PATCH /balloon/statistics after boot: a new polling interval. */
    void updateBalloonStatistics(BalloonConfig balloon) throws VmmException;

    /** GET /balloon/statistics after boot. */
    BalloonStats balloonStatistics() throws VmmException;

    /** PATCH /balloon/hinting/start: a free page hinting run begins. */
    void startBalloonHinting(boolean acknowledgeOnStop) throws VmmException;

    /** PATCH /balloon/hinting/stop: the guest may reuse the pages it hinted. */
    void stopBalloonHinting() throws VmmException;

    /** GET /balloon/hinting/status. */
    dev.ember.config.BalloonHintingStatus balloonHintingStatus() throws VmmException;

    /** PATCH /hotplug/memory after boot: the size the guest should plug, in MiB. */
    default void updateMemoryHotplug(long requestedSizeMib) throws VmmException {
        throw new VmmException("not supported: memory hotplug");
    }

    /** GET /hotplug/memory after boot. */
    default dev.ember.config.MemoryHotplugStatus memoryHotplugStatus() throws VmmException {
        throw new VmmException("not supported: memory hotplug");
    }

    /**
     * PUT /snapshot/create: writes the paused VM's state (with the configuration recorded from
     * {@code resources}) and its guest memory to the given files.
     */
    default void createSnapshot(SnapshotCreateParams params, VmResources resources) throws VmmException {
        throw new VmmException("not supported: snapshots");
    }

    /**
     * PUT /snapshot/load into a VMM where nothing was started: builds the VM the snapshot
     * describes, restores it, and records its configuration into {@code resources}. Afterwards
     * the state is Paused, or Running with resume_vm.
     */
    default void loadSnapshot(SnapshotLoadParams params, VmResources resources) throws VmmException {
        throw new VmmException("not supported: snapshots");
    }

    /**
     * Blocks until the VM has ended (guest reset/shutdown, a fatal error, or {@link #shutdown()})
     * and returns the process exit code: 0 for a clean end, non-zero with the reason logged.
     */
    int awaitExit() throws InterruptedException;

    /** Ends the VM if it runs and releases everything; idempotent, callable from any thread. */
    void shutdown();

    /**
     * As {@link #shutdown()}, and {@link #awaitExit()} returns {@code exitCode}: the process
     * cannot go on (a snapshot load failed after it began restoring, see {@link VmmFatalException}).
     */
    default void terminate(ExitCode exitCode, String reason) {
        shutdown();
    }
}
