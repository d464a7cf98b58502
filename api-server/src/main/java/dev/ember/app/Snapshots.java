package dev.ember.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ember.config.ConfigException;
import dev.ember.config.SnapshotLoadParams;
import dev.ember.config.StrictJson;
import dev.ember.config.VmConfigFile;
import dev.ember.config.VmResources;
import dev.ember.snapshot.SnapshotFormatException;
import dev.ember.snapshot.StateSections;
import java.nio.file.Path;
import java.util.List;

/**
 * What goes into an Ember snapshot besides the VM's kernel state: the section names of the
 * state file, the recorded configuration, and the device sections. The state file format
 * itself is {@link dev.ember.snapshot.StateFile}; see docs/snapshots.md.
 */
final class Snapshots {
    /** Sections of the state file written by the composition root. */
    static final String CONFIG = "config", SERIAL = "serial", I8042 = "i8042", VIRTIO_PREFIX = "virtio";
    /** Present (empty) when the {@code virtioN} sections are virtio-pci functions (--enable-pci). */
    static final String VIRTIO_PCI = "virtio-pci";
    /** Config sections that describe the process, not the machine: never restored from a snapshot. */
    static final List<String> NOT_RESTORED = List.of("logger", "metrics", "boot-source");

    private Snapshots() {}

    /** The machine's configuration as the config file's JSON: vCPUs, memory, drives, interfaces... */
    static byte[] recordConfig(VmResources resources) {
        VmConfigFile config = resources.export();
        byte[] streamed = config.writeStreamed(); // a VM of boot source and machine config: no databind
        return streamed != null ? streamed : StrictJson.write(config);
    }

    /**
     * The recorded configuration, without the sections a load does not apply (the kernel is not
     * needed once guest memory exists; logger and metrics belong to the new process).
     */
    static JsonNode restorableConfig(StateSections sections, Path stateFile) {
        JsonNode tree;
        try {
            tree = StrictJson.tree(sections.get(CONFIG), "snapshot configuration");
        } catch (ConfigException e) {
            throw new SnapshotFormatException("snapshot state file " + stateFile + ": recorded configuration is unreadable: " + e.getMessage());
        }
        if (!tree.isObject()) {
            throw new SnapshotFormatException("snapshot state file " + stateFile + ": recorded configuration is not a JSON object");
        }
        ObjectNode copy = ((ObjectNode) tree).deepCopy();
        copy.remove(NOT_RESTORED);
        return copy;
    }

    /** Whether the load changes the recorded configuration ({@link #applyOverrides} has work to do). */
    static boolean overrides(SnapshotLoadParams params) {
        return params.networkOverrides() != null || vsockOverride(params) != null;
    }

    /**
     * The load's overrides written into the recorded configuration {@code config}:
     * {@code network_overrides}, the same interface ids on other host TAP devices, and
     * {@code vsock_override}, the restored vsock device listening on a new {@code uds_path}.
     */
    static void applyOverrides(JsonNode config, SnapshotLoadParams params) throws ConfigException {
        if (params.networkOverrides() != null) {
            JsonNode ifaces = config.get("network-interfaces");
            for (SnapshotLoadParams.NetworkOverride o : params.networkOverrides()) {
                boolean found = false;
                if (ifaces != null && ifaces.isArray()) {
                    for (JsonNode n : ifaces) {
                        if (n.isObject() && o.ifaceId() != null && o.ifaceId().equals(n.path("iface_id").asText())) {
                            ((ObjectNode) n).put("host_dev_name", o.hostDevName());
                            found = true;
                        }
                    }
                }
                if (!found) {
                    throw new ConfigException(ConfigException.Reason.NOT_FOUND, "network_overrides: the snapshot has no network interface \""
                            + o.ifaceId() + "\"");
                }
            }
        }
        String udsPath = vsockOverride(params);
        if (udsPath != null) {
            JsonNode vsock = config.get("vsock");
            if (vsock == null || !vsock.isObject()) {
                throw new ConfigException(ConfigException.Reason.NOT_FOUND, "vsock_override: the snapshot has no vsock device");
            }
            ((ObjectNode) vsock).put("uds_path", udsPath);
        }
    }

    /** {@code vsock_override}'s {@code uds_path}, or null (none, or one without a path: nothing to change). */
    private static String vsockOverride(SnapshotLoadParams params) {
        return params.vsockOverride() == null ? null : params.vsockOverride().udsPath();
    }
}
