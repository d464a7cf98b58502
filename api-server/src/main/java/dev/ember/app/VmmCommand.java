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
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

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
 * <p>When a command may run is part of its type ({@link When}, read by {@link #phaseOf}), so the
 * API can refuse a pre-boot request after InstanceStart before it parses the body, as Ember
 * always has. Adding a request: a record here with {@code @When}, its {@link Handler} method,
 * the controller's implementation, and a line in {@code dev.ember.api.Routes}.
 */
public sealed interface VmmCommand {

    /** When a command may run relative to InstanceStart. */
    enum Phase { ANY, PRE_BOOT, POST_BOOT }

    /** The phase of a command type; every record carries one (checked by VmmCommandTest). */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface When {
        Phase value();
    }

    <R> R accept(Handler<R> handler) throws ConfigException, VmmException;

    /** The phase declared on {@code type} with {@link When}. */
    static Phase phaseOf(Class<? extends VmmCommand> type) {
        When when = type.getAnnotation(When.class);
        if (when == null) {
            throw new IllegalStateException(type.getName() + " has no @VmmCommand.When");
        }
        return when.value();
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

    @When(Phase.ANY)
    record GetInstanceInfo() implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getInstanceInfo(this);
        }
    }

    @When(Phase.ANY)
    record GetVersion() implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getVersion(this);
        }
    }

    /** The whole configuration, in the configuration file's shape. */
    @When(Phase.ANY)
    record GetVmConfig() implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getVmConfig(this);
        }
    }

    @When(Phase.ANY)
    record GetPrometheusMetrics() implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getPrometheusMetrics(this);
        }
    }

    /** InstanceStart, SendCtrlAltDel, FlushMetrics: each action checks its own phase. */
    @When(Phase.ANY)
    record InstanceAction(InstanceActionInfo info) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.instanceAction(this);
        }
    }

    /** Pause or resume. */
    @When(Phase.POST_BOOT)
    record PatchVmState(VmStateUpdate update) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.patchVmState(this);
        }
    }

    // --- machine ---

    @When(Phase.ANY)
    record GetMachineConfig() implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getMachineConfig(this);
        }
    }

    @When(Phase.PRE_BOOT)
    record PutMachineConfig(MachineConfig config) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putMachineConfig(this);
        }
    }

    @When(Phase.PRE_BOOT)
    record PatchMachineConfig(MachineConfigUpdate update) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.patchMachineConfig(this);
        }
    }

    @When(Phase.PRE_BOOT)
    record PutBootSource(BootSourceConfig config) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putBootSource(this);
        }
    }

    @When(Phase.PRE_BOOT)
    record PutCpuConfig(CpuConfig config) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putCpuConfig(this);
        }
    }

    // --- devices ---

    @When(Phase.PRE_BOOT)
    record PutDrive(DriveConfig config) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putDrive(this);
        }
    }

    @When(Phase.POST_BOOT)
    record PatchDrive(DriveUpdate update) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.patchDrive(this);
        }
    }

    @When(Phase.PRE_BOOT)
    record PutNetworkInterface(NetworkInterfaceConfig config) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putNetworkInterface(this);
        }
    }

    @When(Phase.POST_BOOT)
    record PatchNetworkInterface(NetworkInterfaceUpdate update) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.patchNetworkInterface(this);
        }
    }

    @When(Phase.PRE_BOOT)
    record PutPmem(PmemConfig config) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putPmem(this);
        }
    }

    @When(Phase.POST_BOOT)
    record PatchPmem(PmemUpdate update) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.patchPmem(this);
        }
    }

    @When(Phase.PRE_BOOT)
    record PutVsock(VsockConfig config) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putVsock(this);
        }
    }

    @When(Phase.PRE_BOOT)
    record PutEntropy(EntropyConfig config) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putEntropy(this);
        }
    }

    /** The virtio-mem device's region (Firecracker's SetMemoryHotplugDevice). */
    @When(Phase.PRE_BOOT)
    record PutMemoryHotplug(MemoryHotplugConfig config) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putMemoryHotplug(this);
        }
    }

    /** A new requested size for the guest to plug (UpdateMemoryHotplugSize). */
    @When(Phase.POST_BOOT)
    record PatchMemoryHotplug(MemoryHotplugSizeUpdate update) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.patchMemoryHotplug(this);
        }
    }

    /** Sizes and progress (GetMemoryHotplugStatus): post-boot only, as Firecracker. */
    @When(Phase.POST_BOOT)
    record GetMemoryHotplug() implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getMemoryHotplug(this);
        }
    }

    @When(Phase.PRE_BOOT)
    record PutSerial(SerialConfig config) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putSerial(this);
        }
    }

    // --- logger and metrics ---

    @When(Phase.PRE_BOOT)
    record PutLogger(LoggerConfig config) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putLogger(this);
        }
    }

    @When(Phase.PRE_BOOT)
    record PutMetrics(MetricsConfig config) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putMetrics(this);
        }
    }

    // --- balloon ---

    @When(Phase.ANY)
    record GetBalloon() implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getBalloon(this);
        }
    }

    @When(Phase.PRE_BOOT)
    record PutBalloon(BalloonConfig config) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putBalloon(this);
        }
    }

    @When(Phase.POST_BOOT)
    record PatchBalloon(BalloonUpdate update) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.patchBalloon(this);
        }
    }

    @When(Phase.POST_BOOT)
    record GetBalloonStatistics() implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getBalloonStatistics(this);
        }
    }

    @When(Phase.POST_BOOT)
    record PatchBalloonStatistics(BalloonStatsUpdate update) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.patchBalloonStatistics(this);
        }
    }

    @When(Phase.POST_BOOT)
    record StartBalloonHinting(BalloonStartCmd cmd) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.startBalloonHinting(this);
        }
    }

    @When(Phase.POST_BOOT)
    record GetBalloonHintingStatus() implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getBalloonHintingStatus(this);
        }
    }

    @When(Phase.POST_BOOT)
    record StopBalloonHinting() implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.stopBalloonHinting(this);
        }
    }

    // --- MMDS ---

    @When(Phase.ANY)
    record GetMmds() implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.getMmds(this);
        }
    }

    @When(Phase.ANY)
    record PutMmds(JsonNode data) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putMmds(this);
        }
    }

    /** A JSON merge patch (RFC 7396). */
    @When(Phase.ANY)
    record PatchMmds(JsonNode patch) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.patchMmds(this);
        }
    }

    @When(Phase.PRE_BOOT)
    record PutMmdsConfig(MmdsConfig config) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.putMmdsConfig(this);
        }
    }

    // --- snapshots ---

    @When(Phase.POST_BOOT)
    record CreateSnapshot(SnapshotCreateParams params) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.createSnapshot(this);
        }
    }

    @When(Phase.PRE_BOOT)
    record LoadSnapshot(SnapshotLoadParams params) implements VmmCommand {
        public <R> R accept(Handler<R> h) throws ConfigException, VmmException {
            return h.loadSnapshot(this);
        }
    }
}
