package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The shape of Firecracker's {@code --config-file} and of GET {@code /vm/config}. In a config
 * file {@code cpu-config} is the path of a JSON file holding the template (Firecracker) or,
 * as an Ember extension, the template object itself; GET /vm/config reports the object.
 */
public record VmConfigFile(
        @JsonProperty("boot-source") BootSourceConfig bootSource,
        @JsonProperty("machine-config") MachineConfig machineConfig,
        @JsonProperty("cpu-config") JsonNode cpuConfig,
        @JsonProperty("drives") List<DriveConfig> drives,
        @JsonProperty("network-interfaces") List<NetworkInterfaceConfig> networkInterfaces,
        @JsonProperty("vsock") VsockConfig vsock,
        @JsonProperty("balloon") BalloonConfig balloon,
        @JsonProperty("entropy") EntropyConfig entropy,
        @JsonProperty("logger") LoggerConfig logger,
        @JsonProperty("metrics") MetricsConfig metrics,
        @JsonProperty("mmds-config") MmdsConfig mmdsConfig,
        @JsonProperty("serial") SerialConfig serial) {

    /** Top-level keys in the order they are applied (dependencies first). */
    public static final List<String> SECTIONS = List.of("logger", "metrics", "boot-source", "machine-config",
            "cpu-config", "drives", "network-interfaces", "vsock", "balloon", "entropy", "mmds-config", "serial");

    /** Firecracker sections Ember does not model at all. */
    static final List<String> FIRECRACKER_ONLY = List.of("pmem", "memory-hotplug");
}
