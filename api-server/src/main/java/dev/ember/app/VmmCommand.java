package dev.ember.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.config.BalloonConfig;
import dev.ember.config.BalloonStartCmd;
import dev.ember.config.BalloonStatsUpdate;
import dev.ember.config.BalloonUpdate;
import dev.ember.config.BootSourceConfig;
import dev.ember.config.ConfigException;
import dev.ember.config.CpuConfig;
import dev.ember.config.DriveConfig;
import dev.ember.config.DriveUpdate;
import dev.ember.config.EntropyConfig;
import dev.ember.config.InstanceActionInfo;
import dev.ember.config.LoggerConfig;
import dev.ember.config.MachineConfig;
import dev.ember.config.MachineConfigUpdate;
import dev.ember.config.MemoryHotplugConfig;
import dev.ember.config.MemoryHotplugSizeUpdate;
import dev.ember.config.MetricsConfig;
import dev.ember.config.MmdsConfig;
import dev.ember.config.NetworkInterfaceConfig;
import dev.ember.config.NetworkInterfaceUpdate;
import dev.ember.config.PmemConfig;
import dev.ember.config.PmemUpdate;
import dev.ember.config.SerialConfig;
import dev.ember.config.SnapshotCreateParams;
import dev.ember.config.SnapshotLoadParams;
import dev.ember.config.VmStateUpdate;
import dev.ember.config.VsockConfig;

/**
 * Everything the API and the configuration file can ask of the VMM, one record per request
 * (Firecracker's {@code VmmAction}). {@link VmmController#handle} runs them one at a time on the
 * {@code ember-vmm-ctl} thread and answers each with a {@link VmmResult}.
 *
 * <p>Dispatch is a visitor ({@link Handler}): Java 17 has no pattern-matching switch, and a
 * visitor keeps the exhaustiveness a sealed switch would give — a new record must implement
 * {@link #accept}, which calls a new {@link Handler} method, which the controller must then
 * implement, or the build fails.
 *
 * <p>When a command may run is part of its type ({@link AnyPhase}, {@link PreBoot} or
 * {@link PostBoot}, read by {@link #phaseOf}), so the API can refuse a pre-boot request after
 * InstanceStart before it parses the body, as Ember always has. Adding a request: a record here
 * implementing one of them, its {@link Handler} method,
 * the controller's implementation, and a line in {@code dev.ember.api.Routes}.
 */
public sealed interface VmmCommand {

    /** When a command may run relative to InstanceStart. */
    enum Phase { ANY, PRE_BOOT, POST_BOOT }

    /*
     * The phase of a command type is the one of these it implements (every record implements
     * exactly one: VmmCommandTest). A type, not an annotation: reading an annotation at run time
     * makes the JDK generate proxy classes (for it and its meta-annotations), ~7 ms of CPU on the
     * first request, which the AOT cache cannot hold.
     */

    /** A command that may run before and after InstanceStart. */
    sealed interface AnyPhase extends VmmCommand {}

    /** A command that may run only before InstanceStart. */
    sealed interface PreBoot extends VmmCommand {}

    /** A command that may run only after InstanceStart. */
    sealed interface PostBoot extends VmmCommand {}

    <R> R accept(Handler<R> handler) throws ConfigException, VmmException;

    /** The phase {@code type} declares by implementing {@link AnyPhase}, {@link PreBoot} or {@link PostBoot}. */
    static Phase phaseOf(Class<? extends VmmCommand> type) {
        if (PreBoot.class.isAssignableFrom(type)) {
            return Phase.PRE_BOOT;
        }
        if (PostBoot.class.isAssignableFrom(type)) {
            return Phase.POST_BOOT;
        }
        if (AnyPhase.class.isAssignableFrom(type)) {
            return Phase.ANY;
        }
        throw new IllegalStateException(type.getName() + " implements none of VmmCommand.AnyPhase, PreBoot, PostBoot");
    }

    /** One method per command: implementing it means handling every command. */
    interface Handler<R> {
        R getInstanceInfo(GetInstanceInfo c) throws ConfigException, VmmException;
        R getVersion(GetVersion c) throws ConfigException, VmmException;
        R getVmConfig(GetVmConfig c) throws ConfigException, VmmException;
        R getPrometheusMetrics(GetPrometheusMetrics c) throws ConfigException, VmmException;
        R instanceAction(InstanceAction c) throws ConfigException, VmmException;
        R patchVmState(PatchVmState c) throws ConfigException, VmmException;
        R getMachineConfig(GetMachineConfig c) throws ConfigException, VmmException;
        R putMachineConfig(PutMachineConfig c) throws ConfigException, VmmException;
        R patchMachineConfig(PatchMachineConfig c) throws ConfigException, VmmException;
        R putBootSource(PutBootSource c) throws ConfigException, VmmException;
        R putCpuConfig(PutCpuConfig c) throws ConfigException, VmmException;
        R putDrive(PutDrive c) throws ConfigException, VmmException;
        R patchDrive(PatchDrive c) throws ConfigException, VmmException;
        R putNetworkInterface(PutNetworkInterface c) throws ConfigException, VmmException;
        R patchNetworkInterface(PatchNetworkInterface c) throws ConfigException, VmmException;
        R putPmem(PutPmem c) throws ConfigException, VmmException;
        R patchPmem(PatchPmem c) throws ConfigException, VmmException;
        R putVsock(PutVsock c) throws ConfigException, VmmException;
        R putEntropy(PutEntropy c) throws ConfigException, VmmException;
        R putMemoryHotplug(PutMemoryHotplug c) throws ConfigException, VmmException;
        R patchMemoryHotplug(PatchMemoryHotplug c) throws ConfigException, VmmException;
        R getMemoryHotplug(GetMemoryHotplug c) throws ConfigException, VmmException;
        R putSerial(PutSerial c) throws ConfigException, VmmException;
        R putLogger(PutLogger c) throws ConfigException, VmmException;
        R putMetrics(PutMetrics c) throws ConfigException, VmmException;
        R getBalloon(GetBalloon c) throws ConfigException, VmmException;
        R putBalloon(PutBalloon c) throws ConfigException, VmmException;
        R patchBalloon(PatchBalloon c) throws ConfigException, VmmException;
        R getBalloonStatistics(GetBalloonStatistics c) throws ConfigException, VmmException;
        R patchBalloonStatistics(PatchBalloonStatistics c) throws ConfigException, VmmException;
        R startBalloonHinting(StartBalloonHinting c) throws ConfigException, VmmException;
        R getBalloonHintingStatus(GetBalloonHintingStatus c) throws ConfigException, VmmException;
        R stopBalloonHinting(StopBalloonHinting c) throws ConfigException, VmmException;
        R getMmds(GetMmds c) throws ConfigException, VmmException;
        R putMmds(PutMmds c) throws ConfigException, VmmException;
        R patchMmds(PatchMmds c) throws ConfigException, VmmException;
        R putMmdsConfig(PutMmdsConfig c) throws ConfigException, VmmException;
        R createSnapshot(CreateSnapshot c) throws ConfigException, VmmException;
        R loadSnapshot(LoadSnapshot c) throws ConfigException, VmmException;
    }

    // --- instance ---

    record GetInstanceInfo() implements AnyPhase {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getInstanceInfo(this);
        }
    }

    record GetVersion() implements AnyPhase {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getVersion(this);
        }
    }

    /** The whole configuration, in the configuration file's shape. */
    record GetVmConfig() implements AnyPhase {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getVmConfig(this);
        }
    }

    record GetPrometheusMetrics() implements AnyPhase {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getPrometheusMetrics(this);
        }
    }

    /** InstanceStart, SendCtrlAltDel, FlushMetrics: each action checks its own phase. */
    record InstanceAction(InstanceActionInfo info) implements AnyPhase {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.instanceAction(this);
        }
    }

    /** Pause or resume. */
    record PatchVmState(VmStateUpdate update) implements PostBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.patchVmState(this);
        }
    }

    // --- machine ---

    record GetMachineConfig() implements AnyPhase {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getMachineConfig(this);
        }
    }

    record PutMachineConfig(MachineConfig config) implements PreBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putMachineConfig(this);
        }
    }

    record PatchMachineConfig(MachineConfigUpdate update) implements PreBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.patchMachineConfig(this);
        }
    }

    record PutBootSource(BootSourceConfig config) implements PreBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putBootSource(this);
        }
    }

    record PutCpuConfig(CpuConfig config) implements PreBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putCpuConfig(this);
        }
    }

    // --- devices ---

    record PutDrive(DriveConfig config) implements PreBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putDrive(this);
        }
    }

    record PatchDrive(DriveUpdate update) implements PostBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.patchDrive(this);
        }
    }

    record PutNetworkInterface(NetworkInterfaceConfig config) implements PreBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putNetworkInterface(this);
        }
    }

    record PatchNetworkInterface(NetworkInterfaceUpdate update) implements PostBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.patchNetworkInterface(this);
        }
    }

    record PutPmem(PmemConfig config) implements PreBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putPmem(this);
        }
    }

    record PatchPmem(PmemUpdate update) implements PostBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.patchPmem(this);
        }
    }

    record PutVsock(VsockConfig config) implements PreBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putVsock(this);
        }
    }

    record PutEntropy(EntropyConfig config) implements PreBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putEntropy(this);
        }
    }

    /** The virtio-mem device's region (Firecracker's SetMemoryHotplugDevice). */
    record PutMemoryHotplug(MemoryHotplugConfig config) implements PreBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putMemoryHotplug(this);
        }
    }

    /** A new requested size for the guest to plug (UpdateMemoryHotplugSize). */
    record PatchMemoryHotplug(MemoryHotplugSizeUpdate update) implements PostBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.patchMemoryHotplug(this);
        }
    }

    /** Sizes and progress (GetMemoryHotplugStatus): post-boot only, as Firecracker. */
    record GetMemoryHotplug() implements PostBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getMemoryHotplug(this);
        }
    }

    record PutSerial(SerialConfig config) implements PreBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putSerial(this);
        }
    }

    // --- logger and metrics ---

    record PutLogger(LoggerConfig config) implements PreBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putLogger(this);
        }
    }

    record PutMetrics(MetricsConfig config) implements PreBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putMetrics(this);
        }
    }

    // --- balloon ---

    record GetBalloon() implements AnyPhase {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getBalloon(this);
        }
    }

    record PutBalloon(BalloonConfig config) implements PreBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putBalloon(this);
        }
    }

    record PatchBalloon(BalloonUpdate update) implements PostBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.patchBalloon(this);
        }
    }

    record GetBalloonStatistics() implements PostBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getBalloonStatistics(this);
        }
    }

    record PatchBalloonStatistics(BalloonStatsUpdate update) implements PostBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.patchBalloonStatistics(this);
        }
    }

    record StartBalloonHinting(BalloonStartCmd cmd) implements PostBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.startBalloonHinting(this);
        }
    }

    record GetBalloonHintingStatus() implements PostBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getBalloonHintingStatus(this);
        }
    }

    record StopBalloonHinting() implements PostBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.stopBalloonHinting(this);
        }
    }

    // --- MMDS ---

    record GetMmds() implements AnyPhase {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getMmds(this);
        }
    }

    record PutMmds(JsonNode data) implements AnyPhase {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putMmds(this);
        }
    }

    /** A JSON merge patch (RFC 7396). */
    record PatchMmds(JsonNode patch) implements AnyPhase {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.patchMmds(this);
        }
    }

    record PutMmdsConfig(MmdsConfig config) implements PreBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putMmdsConfig(this);
        }
    }

    // --- snapshots ---

    record CreateSnapshot(SnapshotCreateParams params) implements PostBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.createSnapshot(this);
        }
    }

    record LoadSnapshot(SnapshotLoadParams params) implements PreBoot {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.loadSnapshot(this);
        }
    }
}
