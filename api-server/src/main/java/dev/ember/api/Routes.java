package dev.ember.api;

import static dev.ember.api.Route.Phase.ANY;
import static dev.ember.api.Route.Phase.POST_BOOT;
import static dev.ember.api.Route.Phase.PRE_BOOT;

import dev.ember.config.BalloonConfig;
import dev.ember.config.BalloonStats;
import dev.ember.config.BalloonStatsUpdate;
import dev.ember.config.BalloonUpdate;
import dev.ember.config.BootSourceConfig;
import dev.ember.config.ConfigException;
import dev.ember.config.CpuConfig;
import dev.ember.config.DriveConfig;
import dev.ember.config.DriveUpdate;
import dev.ember.config.EntropyConfig;
import dev.ember.config.InstanceActionInfo;
import dev.ember.config.InstanceInfo;
import dev.ember.config.LoggerConfig;
import dev.ember.config.MachineConfig;
import dev.ember.config.MachineConfigUpdate;
import dev.ember.config.MetricsConfig;
import dev.ember.config.MmdsConfig;
import dev.ember.config.NetworkInterfaceConfig;
import dev.ember.config.NetworkInterfaceUpdate;
import dev.ember.config.SerialConfig;
import dev.ember.config.SnapshotCreateParams;
import dev.ember.config.SnapshotLoadParams;
import dev.ember.config.SnapshotType;
import dev.ember.config.StrictJson;
import dev.ember.config.VmConfigFile;
import dev.ember.config.VmStateUpdate;
import dev.ember.config.VsockConfig;
import dev.ember.app.LatencyMetrics;
import dev.ember.logging.MetricsWriter;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The route table: Firecracker's paths, methods, bodies and phases. The OpenAPI document is
 * generated from this list, so the two cannot drift.
 */
public final class Routes {
    /** Marker types for the OpenAPI document. */
    public record VersionInfo(@com.fasterxml.jackson.annotation.JsonProperty("firecracker_version") String firecrackerVersion) {}

    private Routes() {}

    public static List<Route> table(VmmController c) {
        var r = c.resources();
        List<Route> t = new ArrayList<>();

        t.add(new Route("GET", "/", ANY, null, InstanceInfo.class, "instance_info", "Describes this instance: id, state, version.",
                call -> ApiResponse.ok(c.instanceInfo())));
        t.add(new Route("GET", "/version", ANY, null, VersionInfo.class, "vmm_version", "The Ember version (Firecracker's field name).",
                call -> ApiResponse.ok(new VersionInfo(EmberVersion.VERSION))));
        t.add(new Route("GET", "/vm/config", ANY, null, VmConfigFile.class, "vm_config", "The full configuration, in the config file's format.",
                call -> ApiResponse.ok(r.apiView())));
        t.add(new Route("GET", "/openapi", ANY, null, JsonNode.class, "openapi", "This API as an OpenAPI 3 document.",
                call -> ApiResponse.ok(OpenApi.document(table(c)))));
        t.add(new Route("GET", "/metrics/prometheus", ANY, null, String.class, "prometheus", "All metric counters in OpenMetrics text format.",
                call -> ApiResponse.text(MetricsWriter.openMetrics(), "application/openmetrics-text; version=1.0.0; charset=utf-8")));

        t.add(new Route("PUT", "/actions", ANY, InstanceActionInfo.class, null, "actions", "InstanceStart, SendCtrlAltDel or FlushMetrics.",
                call -> action(c, call.body(InstanceActionInfo.class))));
        t.add(new Route("PATCH", "/vm", POST_BOOT, VmStateUpdate.class, null, "vm", "Pauses or resumes the microVM.",
                call -> {
                    VmStateUpdate u = call.body(VmStateUpdate.class);
                    u.validate();
                    long t0 = System.nanoTime();
                    if (u.state() == VmStateUpdate.State.Paused) {
                        c.vmm().pause();
                        LatencyMetrics.since(LatencyMetrics.PAUSE_VM, t0);
                    } else {
                        c.vmm().resume();
                        LatencyMetrics.since(LatencyMetrics.RESUME_VM, t0);
                    }
                    return ApiResponse.noContent();
                }));

        t.add(new Route("GET", "/machine-config", ANY, null, MachineConfig.class, "machine_cfg", "The machine configuration (defaults before any PUT).",
                call -> ApiResponse.ok(r.machineConfig())));
        t.add(new Route("PUT", "/machine-config", PRE_BOOT, MachineConfig.class, null, "machine_cfg", "Sets vCPUs, memory and options; omitted options reset to defaults.",
                call -> done(() -> r.setMachineConfig(call.body(MachineConfig.class)))));
        t.add(new Route("PATCH", "/machine-config", PRE_BOOT, MachineConfigUpdate.class, null, "machine_cfg", "Changes only the given machine configuration fields.",
                call -> done(() -> r.updateMachineConfig(call.body(MachineConfigUpdate.class)))));
        t.add(new Route("PUT", "/boot-source", PRE_BOOT, BootSourceConfig.class, null, "boot_source", "Sets the kernel, command line and initrd.",
                call -> done(() -> r.setBootSource(call.body(BootSourceConfig.class)))));
        t.add(new Route("PUT", "/cpu-config", PRE_BOOT, CpuConfig.class, null, "cpu_cfg", "Sets a custom CPU template.",
                call -> done(() -> r.setCpuConfig(call.body(CpuConfig.class)))));

        t.add(new Route("PUT", "/drives/{drive_id}", PRE_BOOT, DriveConfig.class, null, "drive", "Creates or replaces a block device.",
                call -> {
                    DriveConfig d = call.body(DriveConfig.class);
                    checkId(call, "drive_id", d.driveId());
                    r.putDrive(d);
                    return ApiResponse.noContent();
                }));
        t.add(new Route("PATCH", "/drives/{drive_id}", POST_BOOT, DriveUpdate.class, null, "drive", "Changes a drive's backing file or rate limiter.",
                call -> {
                    DriveUpdate u = call.body(DriveUpdate.class);
                    checkId(call, "drive_id", u.driveId());
                    c.updateDrive(u);
                    return ApiResponse.noContent();
                }));
        t.add(new Route("PUT", "/network-interfaces/{iface_id}", PRE_BOOT, NetworkInterfaceConfig.class, null, "network_interface",
                "Creates or replaces a network interface.",
                call -> {
                    NetworkInterfaceConfig n = call.body(NetworkInterfaceConfig.class);
                    checkId(call, "iface_id", n.ifaceId());
                    c.putNetworkInterface(n);
                    return ApiResponse.noContent();
                }));
        t.add(new Route("PATCH", "/network-interfaces/{iface_id}", POST_BOOT, NetworkInterfaceUpdate.class, null, "network_interface",
                "Changes a network interface's rate limiters.",
                call -> {
                    NetworkInterfaceUpdate u = call.body(NetworkInterfaceUpdate.class);
                    checkId(call, "iface_id", u.ifaceId());
                    c.updateNetworkInterface(r.updateNetworkInterface(u));
                    return ApiResponse.noContent();
                }));

        t.add(new Route("PUT", "/vsock", PRE_BOOT, VsockConfig.class, null, "vsock", "Creates or replaces the vsock device.",
                call -> done(() -> r.setVsock(call.body(VsockConfig.class)))));
        t.add(new Route("PUT", "/entropy", PRE_BOOT, EntropyConfig.class, null, "entropy", "Creates the entropy device.",
                call -> done(() -> r.setEntropy(call.body(EntropyConfig.class)))));
        t.add(new Route("PUT", "/serial", PRE_BOOT, SerialConfig.class, null, "serial", "Sets where the serial console output goes.",
                call -> done(() -> r.setSerial(call.body(SerialConfig.class)))));
        t.add(new Route("PUT", "/logger", PRE_BOOT, LoggerConfig.class, null, "logger", "Configures the log destination, level and format.",
                call -> done(() -> c.configureLogger(call.body(LoggerConfig.class)))));
        t.add(new Route("PUT", "/metrics", PRE_BOOT, MetricsConfig.class, null, "metrics", "Sets the metrics file or FIFO (once).",
                call -> done(() -> c.configureMetrics(call.body(MetricsConfig.class)))));

        t.add(new Route("GET", "/balloon", ANY, null, BalloonConfig.class, "balloon", "The balloon device configuration.",
                call -> {
                    r.requireBalloon();
                    return ApiResponse.ok(r.balloon());
                }));
        t.add(new Route("PUT", "/balloon", PRE_BOOT, BalloonConfig.class, null, "balloon", "Creates or replaces the balloon device.",
                call -> done(() -> r.setBalloon(call.body(BalloonConfig.class)))));
        t.add(new Route("PATCH", "/balloon", POST_BOOT, BalloonUpdate.class, null, "balloon", "Sets a new balloon target size.",
                call -> {
                    c.updateBalloon(r.updateBalloon(call.body(BalloonUpdate.class)), false);
                    return ApiResponse.noContent();
                }));
        t.add(new Route("GET", "/balloon/statistics", POST_BOOT, null, BalloonStats.class, "balloon_stats", "The balloon device's latest statistics.",
                call -> {
                    r.requireBalloon();
                    if (r.balloon().statsPollingIntervalS() == 0) {
                        throw new ConfigException("Statistics for the balloon device are not enabled. (set"
                                + " stats_polling_interval_s with PUT /balloon before boot)");
                    }
                    return ApiResponse.ok(c.vmm().balloonStatistics());
                }));
        t.add(new Route("PATCH", "/balloon/statistics", POST_BOOT, BalloonStatsUpdate.class, null, "balloon_stats",
                "Sets a new balloon statistics polling interval.",
                call -> {
                    c.updateBalloon(r.updateBalloonStatistics(call.body(BalloonStatsUpdate.class)), true);
                    return ApiResponse.noContent();
                }));

        t.add(new Route("GET", "/mmds", ANY, null, JsonNode.class, "mmds", "The MMDS contents.",
                call -> ApiResponse.ok(r.mmdsData())));
        t.add(new Route("PUT", "/mmds", ANY, JsonNode.class, null, "mmds", "Replaces the MMDS contents.",
                call -> done(() -> r.putMmdsData(StrictJson.tree(call.body(), "mmds")))));
        t.add(new Route("PATCH", "/mmds", ANY, JsonNode.class, null, "mmds", "Merges a JSON merge patch (RFC 7396) into the MMDS contents.",
                call -> done(() -> r.patchMmdsData(StrictJson.tree(call.body(), "mmds")))));
        t.add(new Route("PUT", "/mmds/config", PRE_BOOT, MmdsConfig.class, null, "mmds", "Configures the MMDS version, address and interfaces.",
                call -> done(() -> r.setMmdsConfig(call.body(MmdsConfig.class)))));

        t.add(new Route("PUT", "/snapshot/create", POST_BOOT, SnapshotCreateParams.class, null, "snapshot_create",
                "Creates a snapshot of a paused microVM.",
                call -> {
                    SnapshotCreateParams p = call.body(SnapshotCreateParams.class);
                    p.validate();
                    long t0 = System.nanoTime();
                    c.vmm().createSnapshot(p, r);
                    LatencyMetrics.since(p.snapshotType() == SnapshotType.Diff ? LatencyMetrics.DIFF_CREATE_SNAPSHOT
                            : LatencyMetrics.FULL_CREATE_SNAPSHOT, t0);
                    return ApiResponse.noContent();
                }));
        t.add(new Route("PUT", "/snapshot/load", PRE_BOOT, SnapshotLoadParams.class, null, "snapshot_load",
                "Loads a snapshot into a fresh process.",
                call -> {
                    SnapshotLoadParams p = call.body(SnapshotLoadParams.class);
                    p.validate();
                    if (r.bootConfigured()) {
                        throw new ApiError(400, "Loading a microVM snapshot not allowed after configuring boot-specific resources."
                                + " (load it into a fresh Ember process, before any PUT of boot-source, machine-config, drives"
                                + " or network-interfaces)");
                    }
                    long t0 = System.nanoTime();
                    c.vmm().loadSnapshot(p, r);
                    LatencyMetrics.since(LatencyMetrics.LOAD_SNAPSHOT, t0);
                    return ApiResponse.noContent();
                }));
        return List.copyOf(t);
    }

    private interface ConfigStep {
        void run() throws ConfigException;
    }

    private static ApiResponse done(ConfigStep step) throws ConfigException {
        step.run();
        return ApiResponse.noContent();
    }

    /** Firecracker checks the path id, then that the body names the same id. */
    private static void checkId(Route.Call call, String name, String bodyId) throws ApiError {
        String pathId = call.param(name);
        if (pathId.isEmpty()) {
            throw new ApiError(400, "The ID cannot be empty.");
        }
        if (!pathId.chars().allMatch(ch -> ch == '_' || Character.isLetterOrDigit(ch))) {
            throw new ApiError(400, "API Resource IDs can only contain alphanumeric characters and underscores.");
        }
        if (!pathId.equals(bodyId)) {
            throw new ApiError(400, "The id from the path does not match the id from the body! (path has \"" + pathId
                    + "\", body has " + (bodyId == null ? "no " + name : "\"" + bodyId + "\"") + ")");
        }
    }

    private static ApiResponse action(VmmController c, InstanceActionInfo info) throws ConfigException,
            dev.ember.app.VmmException, ApiError {
        info.validate();
        switch (info.actionType()) {
            case InstanceStart -> {
                if (c.started()) {
                    throw ApiError.notAfterBoot();
                }
                c.start();
            }
            case SendCtrlAltDel -> {
                if (!c.started()) {
                    throw ApiError.notBeforeBoot();
                }
                c.vmm().sendCtrlAltDel();
            }
            case FlushMetrics -> c.flushMetrics();
        }
        return ApiResponse.noContent();
    }
}
