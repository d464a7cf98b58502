package dev.ember.api;

import static dev.ember.api.Route.get;
import static dev.ember.api.Route.withBody;
import static dev.ember.api.Route.withOptionalBody;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.app.VmmCommand.CreateSnapshot;
import dev.ember.app.VmmCommand.GetBalloon;
import dev.ember.app.VmmCommand.GetBalloonHintingStatus;
import dev.ember.app.VmmCommand.GetBalloonStatistics;
import dev.ember.app.VmmCommand.StartBalloonHinting;
import dev.ember.app.VmmCommand.StopBalloonHinting;
import dev.ember.app.VmmCommand.GetInstanceInfo;
import dev.ember.app.VmmCommand.GetMachineConfig;
import dev.ember.app.VmmCommand.GetMemoryHotplug;
import dev.ember.app.VmmCommand.GetMmds;
import dev.ember.app.VmmCommand.PatchMemoryHotplug;
import dev.ember.app.VmmCommand.PutMemoryHotplug;
import dev.ember.app.VmmCommand.GetPrometheusMetrics;
import dev.ember.app.VmmCommand.GetVersion;
import dev.ember.app.VmmCommand.GetVmConfig;
import dev.ember.app.VmmCommand.InstanceAction;
import dev.ember.app.VmmCommand.LoadSnapshot;
import dev.ember.app.VmmCommand.PatchBalloon;
import dev.ember.app.VmmCommand.PatchBalloonStatistics;
import dev.ember.app.VmmCommand.PatchDrive;
import dev.ember.app.VmmCommand.PatchMachineConfig;
import dev.ember.app.VmmCommand.PatchMmds;
import dev.ember.app.VmmCommand.PatchNetworkInterface;
import dev.ember.app.VmmCommand.PatchVmState;
import dev.ember.app.VmmCommand.PutBalloon;
import dev.ember.app.VmmCommand.PutBootSource;
import dev.ember.app.VmmCommand.PutCpuConfig;
import dev.ember.app.VmmCommand.PutDrive;
import dev.ember.app.VmmCommand.PutEntropy;
import dev.ember.app.VmmCommand.PutPmem;
import dev.ember.app.VmmCommand.PatchPmem;
import dev.ember.app.VmmCommand.PutLogger;
import dev.ember.app.VmmCommand.PutMachineConfig;
import dev.ember.app.VmmCommand.PutMetrics;
import dev.ember.app.VmmCommand.PutMmds;
import dev.ember.app.VmmCommand.PutMmdsConfig;
import dev.ember.app.VmmCommand.PutNetworkInterface;
import dev.ember.app.VmmCommand.PutSerial;
import dev.ember.app.VmmCommand.PutVsock;
import dev.ember.config.BalloonConfig;
import dev.ember.config.BalloonHintingStatus;
import dev.ember.config.BalloonHintingStop;
import dev.ember.config.BalloonStartCmd;
import dev.ember.config.BalloonStats;
import dev.ember.config.BalloonStatsUpdate;
import dev.ember.config.BalloonUpdate;
import dev.ember.config.BootSourceConfig;
import dev.ember.config.CpuConfig;
import dev.ember.config.DriveConfig;
import dev.ember.config.DriveUpdate;
import dev.ember.config.EntropyConfig;
import dev.ember.config.InstanceActionInfo;
import dev.ember.config.InstanceInfo;
import dev.ember.config.LoggerConfig;
import dev.ember.config.MachineConfig;
import dev.ember.config.MachineConfigUpdate;
import dev.ember.config.MemoryHotplugConfig;
import dev.ember.config.MemoryHotplugSizeUpdate;
import dev.ember.config.MemoryHotplugStatus;
import dev.ember.config.MetricsConfig;
import dev.ember.config.MmdsConfig;
import dev.ember.config.NetworkInterfaceConfig;
import dev.ember.config.NetworkInterfaceUpdate;
import dev.ember.config.PmemConfig;
import dev.ember.config.PmemUpdate;
import dev.ember.config.SerialConfig;
import dev.ember.config.SnapshotCreateParams;
import dev.ember.config.SnapshotLoadParams;
import dev.ember.config.VersionInfo;
import dev.ember.config.VmConfigFile;
import dev.ember.config.VmStateUpdate;
import dev.ember.config.VsockConfig;
import java.util.List;

/**
 * The route table, as data: Firecracker's paths and methods, their bodies, and the
 * {@link dev.ember.app.VmmCommand} each becomes. No route calls into the VMM: the
 * {@link dev.ember.app.VmmController} handles the command (and knows when it may run). The
 * OpenAPI document is generated from this list, so the two cannot drift.
 *
 * <p>Adding a route: a command record in {@code VmmCommand} (with its phase), the controller's
 * method for it, and one line here.
 */
public final class Routes {
    private Routes() {}

    private static final List<Route> TABLE = List.of(
            get("/", InstanceInfo.class, "instance_info", "Describes this instance: id, state, version.",
                    GetInstanceInfo.class, GetInstanceInfo::new),
            get("/version", VersionInfo.class, "vmm_version", "The Ember version (Firecracker's field name).",
                    GetVersion.class, GetVersion::new),
            get("/vm/config", VmConfigFile.class, "vm_config", "The full configuration, in the config file's format.",
                    GetVmConfig.class, GetVmConfig::new),
            Route.local("/openapi", JsonNode.class, "openapi", "This API as an OpenAPI 3 document.",
                    () -> ApiResponse.ok(OpenApi.document(Routes.table()))),
            get("/metrics/prometheus", String.class, "prometheus", "All metric counters in OpenMetrics text format.",
                    GetPrometheusMetrics.class, GetPrometheusMetrics::new),

            withBody("PUT", "/actions", InstanceActionInfo.class, InstanceActionInfo::read, "actions", "InstanceStart, SendCtrlAltDel or FlushMetrics.",
                    InstanceAction.class, (b, call) -> new InstanceAction(b)),
            withBody("PATCH", "/vm", VmStateUpdate.class, VmStateUpdate::read, "vm", "Pauses or resumes the microVM.",
                    PatchVmState.class, (b, call) -> new PatchVmState(b)),

            get("/machine-config", MachineConfig.class, "machine_cfg", "The machine configuration (defaults before any PUT).",
                    GetMachineConfig.class, GetMachineConfig::new),
            withBody("PUT", "/machine-config", MachineConfig.class, MachineConfig::read, "machine_cfg",
                    "Sets vCPUs, memory and options; omitted options reset to defaults.",
                    PutMachineConfig.class, (b, call) -> new PutMachineConfig(b)),
            withBody("PATCH", "/machine-config", MachineConfigUpdate.class, MachineConfigUpdate::read, "machine_cfg",
                    "Changes only the given machine configuration fields.",
                    PatchMachineConfig.class, (b, call) -> new PatchMachineConfig(b)),
            withBody("PUT", "/boot-source", BootSourceConfig.class, BootSourceConfig::read, "boot_source", "Sets the kernel, command line and initrd.",
                    PutBootSource.class, (b, call) -> new PutBootSource(b)),
            withBody("PUT", "/cpu-config", CpuConfig.class, "cpu_cfg", "Sets a custom CPU template.",
                    PutCpuConfig.class, (b, call) -> new PutCpuConfig(b)),

            withBody("PUT", "/drives/{drive_id}", DriveConfig.class, DriveConfig::read, "drive", "Creates or replaces a block device.",
                    PutDrive.class, (b, call) -> new PutDrive(sameId(call, "drive_id", b.driveId(), b))),
            withBody("PATCH", "/drives/{drive_id}", DriveUpdate.class, DriveUpdate::read, "drive", "Changes a drive's backing file or rate limiter.",
                    PatchDrive.class, (b, call) -> new PatchDrive(sameId(call, "drive_id", b.driveId(), b))),
            withBody("PUT", "/network-interfaces/{iface_id}", NetworkInterfaceConfig.class, NetworkInterfaceConfig::read, "network",
                    "Creates or replaces a network interface.",
                    PutNetworkInterface.class, (b, call) -> new PutNetworkInterface(sameId(call, "iface_id", b.ifaceId(), b))),
            withBody("PATCH", "/network-interfaces/{iface_id}", NetworkInterfaceUpdate.class, NetworkInterfaceUpdate::read, "network",
                    "Changes a network interface's rate limiters.",
                    PatchNetworkInterface.class, (b, call) -> new PatchNetworkInterface(sameId(call, "iface_id", b.ifaceId(), b))),

            withBody("PUT", "/pmem/{id}", PmemConfig.class, PmemConfig::read, "pmem", "Creates or replaces a virtio-pmem device (pre-boot only).",
                    PutPmem.class, (b, call) -> new PutPmem(sameId(call, "id", b.id(), b))),
            withBody("PATCH", "/pmem/{id}", PmemUpdate.class, PmemUpdate::read, "pmem", "Changes a pmem device's rate limiter (post-boot only).",
                    PatchPmem.class, (b, call) -> new PatchPmem(sameId(call, "id", b.id(), b))),

            withBody("PUT", "/vsock", VsockConfig.class, VsockConfig::read, "vsock", "Creates or replaces the vsock device.",
                    PutVsock.class, (b, call) -> new PutVsock(b)),
            withBody("PUT", "/entropy", EntropyConfig.class, EntropyConfig::read, "entropy", "Creates the entropy device.",
                    PutEntropy.class, (b, call) -> new PutEntropy(b)),
            withBody("PUT", "/serial", SerialConfig.class, SerialConfig::read, "serial", "Sets where the serial console output goes.",
                    PutSerial.class, (b, call) -> new PutSerial(b)),
            withBody("PUT", "/logger", LoggerConfig.class, LoggerConfig::read, "logger", "Configures the log destination, level and format.",
                    PutLogger.class, (b, call) -> new PutLogger(b)),
            withBody("PUT", "/metrics", MetricsConfig.class, MetricsConfig::read, "metrics", "Sets the metrics file or FIFO (once).",
                    PutMetrics.class, (b, call) -> new PutMetrics(b)),

            get("/balloon", BalloonConfig.class, "balloon", "The balloon device configuration.",
                    GetBalloon.class, GetBalloon::new),
            withBody("PUT", "/balloon", BalloonConfig.class, BalloonConfig::read, "balloon", "Creates or replaces the balloon device.",
                    PutBalloon.class, (b, call) -> new PutBalloon(b)),
            withBody("PATCH", "/balloon", BalloonUpdate.class, BalloonUpdate::read, "balloon", "Sets a new balloon target size.",
                    PatchBalloon.class, (b, call) -> new PatchBalloon(b)),
            get("/balloon/statistics", BalloonStats.class, "balloon_stats", "The balloon device's latest statistics.",
                    GetBalloonStatistics.class, GetBalloonStatistics::new),
            withBody("PATCH", "/balloon/statistics", BalloonStatsUpdate.class, BalloonStatsUpdate::read, "balloon_stats",
                    "Sets a new balloon statistics polling interval.",
                    PatchBalloonStatistics.class, (b, call) -> new PatchBalloonStatistics(b)),
            withOptionalBody("PATCH", "/balloon/hinting/start", BalloonStartCmd.class, "balloon",
                    "Starts a free page hinting run.", StartBalloonHinting.class, () -> new BalloonStartCmd(null),
                    (b, call) -> new StartBalloonHinting(b)),
            get("/balloon/hinting/status", BalloonHintingStatus.class, "balloon", "The free page hinting run's command ids.",
                    GetBalloonHintingStatus.class, GetBalloonHintingStatus::new),
            withOptionalBody("PATCH", "/balloon/hinting/stop", BalloonHintingStop.class, "balloon",
                    "Ends the free page hinting run: the guest may reuse the pages it hinted.", StopBalloonHinting.class,
                    BalloonHintingStop::new, (b, call) -> new StopBalloonHinting()),

            get("/hotplug/memory", MemoryHotplugStatus.class, "hotplug_memory",
                    "The hotpluggable memory's sizes and how much the guest has plugged (post-boot only).",
                    GetMemoryHotplug.class, GetMemoryHotplug::new),
            withBody("PUT", "/hotplug/memory", MemoryHotplugConfig.class, MemoryHotplugConfig::read, "hotplug_memory",
                    "Configures the hotpluggable memory, a virtio-mem device (pre-boot only).",
                    PutMemoryHotplug.class, (b, call) -> new PutMemoryHotplug(b)),
            withBody("PATCH", "/hotplug/memory", MemoryHotplugSizeUpdate.class, MemoryHotplugSizeUpdate::read, "hotplug_memory",
                    "Sets the size the guest should plug (post-boot only).",
                    PatchMemoryHotplug.class, (b, call) -> new PatchMemoryHotplug(b)),

            get("/mmds", JsonNode.class, "mmds", "The MMDS contents.", GetMmds.class, GetMmds::new),
            withBody("PUT", "/mmds", JsonNode.class, "mmds", "Replaces the MMDS contents.",
                    PutMmds.class, (b, call) -> new PutMmds(b)),
            withBody("PATCH", "/mmds", JsonNode.class, "mmds", "Merges a JSON merge patch (RFC 7396) into the MMDS contents.",
                    PatchMmds.class, (b, call) -> new PatchMmds(b)),
            withBody("PUT", "/mmds/config", MmdsConfig.class, MmdsConfig::read, "mmds", "Configures the MMDS version, address and interfaces.",
                    PutMmdsConfig.class, (b, call) -> new PutMmdsConfig(b)),

            withBody("PUT", "/snapshot/create", SnapshotCreateParams.class, SnapshotCreateParams::read, "snapshot_create",
                    "Creates a snapshot of a paused microVM.",
                    CreateSnapshot.class, (b, call) -> new CreateSnapshot(b)),
            withBody("PUT", "/snapshot/load", SnapshotLoadParams.class, SnapshotLoadParams::parse, "snapshot_load",
                    "Loads a snapshot into a fresh process.",
                    LoadSnapshot.class, (b, call) -> new LoadSnapshot(b)));

    public static List<Route> table() {
        return TABLE;
    }

    /** Firecracker checks the path id, then that the body names the same id; returns {@code body}. */
    private static <B> B sameId(Route.Call call, String name, String bodyId, B body) throws ApiError {
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
        return body;
    }
}
