package dev.ember.api;

import dev.ember.app.VmmControl;
import dev.ember.app.VmmException;
import dev.ember.config.BalloonConfig;
import dev.ember.config.ConfigException;
import dev.ember.config.DriveConfig;
import dev.ember.config.DriveUpdate;
import dev.ember.config.InstanceInfo;
import dev.ember.config.LoggerConfig;
import dev.ember.config.MetricsConfig;
import dev.ember.config.NetworkInterfaceConfig;
import dev.ember.config.VmResources;
import dev.ember.logging.Logging;
import dev.ember.logging.MetricsWriter;

/**
 * The VMM-side handling of requests (Firecracker's pre-boot and runtime API controllers):
 * configuration goes into {@link VmResources}, VM actions go to {@link VmmControl}. The API
 * calls it from one controller thread, the CLI from its main thread before the API starts.
 */
public final class VmmController {
    private static final System.Logger LOG = System.getLogger(VmmController.class.getName());

    private final String instanceId;
    private final VmResources resources;
    private final VmmControl vmm;
    private final MetricsWriter metrics;

    public VmmController(String instanceId, VmResources resources, VmmControl vmm, MetricsWriter metrics) {
        this.instanceId = instanceId;
        this.resources = resources;
        this.vmm = vmm;
        this.metrics = metrics;
    }

    public VmResources resources() {
        return resources;
    }

    public VmmControl vmm() {
        return vmm;
    }

    public MetricsWriter metrics() {
        return metrics;
    }

    public boolean started() {
        return vmm.state() != VmmControl.State.NOT_STARTED;
    }

    public InstanceInfo instanceInfo() {
        return new InstanceInfo(instanceId, vmm.state().apiName(), EmberVersion.VERSION, EmberVersion.APP_NAME);
    }

    /** InstanceStart: checks the configuration can boot, then hands it to the VMM. */
    public void start() throws ConfigException, VmmException {
        resources.requireStartable();
        long t0 = System.nanoTime();
        vmm.start(resources);
        LOG.log(System.Logger.Level.INFO, "microVM started in " + (System.nanoTime() - t0) / 1000 + " us");
    }

    public void configureLogger(LoggerConfig config) throws ConfigException {
        resources.setLogger(config); // validates
        Logging.configure(config);
    }

    public void configureMetrics(MetricsConfig config) throws ConfigException {
        MetricsConfig previous = resources.metrics();
        resources.setMetrics(config);
        try {
            metrics.configure(config);
        } catch (ConfigException e) {
            if (previous != null) {
                resources.setMetrics(previous);
            }
            throw e;
        }
    }

    public void flushMetrics() throws ApiError {
        if (!metrics.configured()) {
            throw new ApiError(400, "The metrics system is not initialized. (PUT /metrics or start with --metrics-path first)");
        }
        if (!metrics.flush()) {
            throw new ApiError(400, "Cannot flush the metrics: the destination did not take the whole line"
                    + " (a FIFO reader may be too slow; see logger.missed_metrics_count)");
        }
    }

    /**
     * PATCH /drives after boot: validated and merged by the model, taken by the live device, then
     * recorded, so a file the device cannot open changes nothing. A path_on_host, even the
     * current one, makes the device reopen the file (Firecracker: the file may have been resized).
     */
    public void updateDrive(DriveUpdate update) throws ConfigException, VmmException {
        DriveConfig merged = resources.patchedDrive(update);
        vmm.updateDrive(merged, update.pathOnHost() != null);
        resources.recordPatchedDrive(merged);
    }

    /**
     * PUT /network-interfaces: recorded, then its TAP opened once, as Firecracker opens it at PUT,
     * so a TAP this process cannot attach (missing rights, a multi-queue TAP, a non-TAP interface)
     * is a 400 now, not at InstanceStart; the interface is then not kept.
     */
    public void putNetworkInterface(NetworkInterfaceConfig iface) throws ConfigException, VmmException {
        resources.putNetworkInterface(iface);
        try {
            vmm.checkNetworkInterface(iface);
        } catch (VmmException e) {
            resources.removeNetworkInterface(iface.ifaceId());
            throw e;
        }
    }

    public void updateNetworkInterface(NetworkInterfaceConfig merged) throws VmmException {
        vmm.updateNetworkRateLimiters(merged);
    }

    public void updateBalloon(BalloonConfig merged, boolean statisticsOnly) throws VmmException {
        if (statisticsOnly) {
            vmm.updateBalloonStatistics(merged);
        } else {
            vmm.updateBalloon(merged);
        }
    }
}
