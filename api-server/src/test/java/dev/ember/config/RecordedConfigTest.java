package dev.ember.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A snapshot's recorded configuration, applied by {@link VmConfigFile#applyStreamed} (jackson-core
 * alone) against the same bytes applied as a load did before (StrictJson's tree, the skipped
 * sections removed, {@link VmConfigFile#apply(JsonNode, VmConfigFile.Sections)}): where the
 * streamed path does not give up, the result is the same configuration or the same error.
 */
class RecordedConfigTest extends HostFiles {
    /** What a load never restores (app.Snapshots.NOT_RESTORED). */
    private static final List<String> SKIPPED = List.of("logger", "metrics", "boot-source");

    private static final String IDLE = "{\"boot-source\":{\"kernel_image_path\":\"/k\",\"boot_args\":\"ember.test=idle\"},"
            + "\"machine-config\":{\"vcpu_count\":1,\"mem_size_mib\":128,\"smt\":false,\"track_dirty_pages\":false,"
            + "\"huge_pages\":\"None\"},\"drives\":[],\"network-interfaces\":[],\"pmem\":[]}";

    @Test
    void anIdleMicroVmsRecordedConfigurationIsReadStreamedAsDatabindReadsIt() throws Exception {
        VmResources source = new VmResources();
        source.setBootSource(new BootSourceConfig(kernel.toString(), "console=ttyS0", null));
        source.setMachineConfig(new MachineConfig(2L, 256L, null, true, CpuTemplate.T2, HugePages.Hugetlbfs2M));
        source.setLogger(new LoggerConfig(dir.resolve("log").toString(), LogLevel.Debug, null, null, null));
        String recorded = new String(StrictJson.write(source.export()), StandardCharsets.UTF_8); // as a snapshot records it
        for (String json : List.of(IDLE, recorded)) {
            VmResources streamed = new VmResources();
            assertTrue(VmConfigFile.applyStreamed(json.getBytes(StandardCharsets.UTF_8), SKIPPED, streamed), json);
            assertEquals(outcome(json, false), describe(streamed), json);
        }
    }

    @Test
    void theStreamedPathGivesTheSameResultOrGivesUp() {
        List<String> bodies = new ArrayList<>();
        for (String machine : List.of("{\"vcpu_count\": 2, \"mem_size_mib\": 64}", "{\"vcpu_count\": 0, \"mem_size_mib\": 64}",
                "{\"vcpu_count\": 3, \"mem_size_mib\": 64, \"smt\": true}", "{\"vcpu_count\": 1, \"mem_size_mib\": 18446744073709551615}",
                "{\"vcpu_count\": 1, \"mem_size_mib\": 18446744073709551616}", "{\"vcpu_count\": 1, \"mem_size_mib\": -1}",
                "{\"vcpu_count\": 1, \"mem_size_mib\": 3, \"huge_pages\": \"2M\"}", "{\"vcpu_count\": 1, \"mem_size_mib\": 4, \"huge_pages\": \"2M\"}",
                "{\"vcpu_count\": 1, \"mem_size_mib\": 4, \"huge_pages\": \"Transparent\", \"cpu_template\": \"None\"}",
                "{\"vcpu_count\": 1, \"mem_size_mib\": 4, \"cpu_template\": \"V1N1\"}", "{\"vcpu_count\": 1.0, \"mem_size_mib\": 4}",
                "{\"vcpu_count\": \"1\", \"mem_size_mib\": 4}", "{\"vcpu_count\": 99999999999999999999, \"mem_size_mib\": 4}",
                "{\"mem_size_mib\": 4}", "{}", "null", "[]", "{\"vcpu_count\": 1, \"mem_size_mib\": 4, \"x\": 1}",
                "{\"vcpu_count\": 1, \"vcpu_count\": 2, \"mem_size_mib\": 4}", "{\"vcpu_count\": 1, \"mem_size_mib\": 4, \"huge_pages\": \"1G\"}")) {
            bodies.add("{\"machine-config\": " + machine + "}");
        }
        for (String rest : List.of("\"drives\": []", "\"drives\": null", "\"drives\": {}", "\"vsock\": null", "\"vsock\": []",
                "\"vsock\": {\"guest_cid\": 3, \"uds_path\": \"/v\"}", "\"balloon\": null", "\"cpu-config\": null",
                "\"cpu-config\": \"/nonexistent\"", "\"serial\": null", "\"serial\": {}", "\"mmds-config\": null", "\"pmem\": []",
                "\"network-interfaces\": [{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\"}]", "\"network-interfaces\": [1]",
                "\"boot-source\": {\"anything\": [1, {\"a\": true}]}", "\"boot-source\": {\"n\": 1e400}", "\"boot-source\": {\"n\": 1.5}",
                "\"logger\": null", "\"metrics\": \"x\"", "\"unknown\": null", "\"machine-config\": null",
                "\"drives\": [{\"drive_id\": \"rootfs\", \"path_on_host\": \"/d\", \"is_root_device\": true, \"is_read_only\": false},"
                        + " {\"drive_id\": \"data\", \"path_on_host\": \"/e\", \"is_root_device\": false, \"is_read_only\": true,"
                        + " \"rate_limiter\": {\"bandwidth\": {\"size\": 1000, \"refill_time\": 100}}}]",
                "\"drives\": [{\"drive_id\": \"a\", \"path_on_host\": \"/d\", \"is_root_device\": true, \"is_read_only\": false},"
                        + " {\"drive_id\": \"b\", \"path_on_host\": \"/d\", \"is_root_device\": true, \"is_read_only\": false}]",
                "\"drives\": [null]", "\"drives\": [{\"drive_id\": \"a\", \"x\": 1}]", "\"drives\": [{\"drive_id\": \"a b\","
                        + " \"path_on_host\": \"/d\", \"is_root_device\": false, \"is_read_only\": false}]",
                "\"network-interfaces\": [{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\", \"guest_mac\": \"06:00:AC:10:00:02\"},"
                        + " {\"iface_id\": \"eth1\", \"host_dev_name\": \"tap1\"}]",
                "\"network-interfaces\": [{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\", \"guest_mac\": \"06:00:AC:10:00:02\"},"
                        + " {\"iface_id\": \"eth1\", \"host_dev_name\": \"tap1\", \"guest_mac\": \"06:00:AC:10:00:02\"}]",
                "\"network-interfaces\": [{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\", \"mtu\": 1.5}]",
                "\"vsock\": {\"guest_cid\": 2, \"uds_path\": \"/v\"}", "\"vsock\": {\"guest_cid\": 3}", "\"vsock\": {\"vsock_id\": \"v\","
                        + " \"guest_cid\": 3, \"uds_path\": \"/v\"}",
                "\"drives\": [{\"drive_id\": \"rootfs\", \"path_on_host\": \"/d\", \"is_root_device\": true, \"is_read_only\": false}],"
                        + " \"vsock\": {\"guest_cid\": 3, \"uds_path\": \"/v\"}, \"mmds-config\": {\"network_interfaces\": []}",
                "\"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 8}")) {
            bodies.add("{\"machine-config\": {\"vcpu_count\": 2, \"mem_size_mib\": 64}, " + rest + "}");
        }
        bodies.addAll(List.of("", "null", "[]", "{}", "{} {}", "{\"drives\": []}", "{\"boot-source\": \"\\ud800\"}"));
        int streamed = 0;
        List<String> differences = new ArrayList<>();
        for (String json : bodies) {
            String fast = outcome(json, true);
            if (fast == null) {
                continue; // gave up: the load takes the databind path
            }
            streamed++;
            String slow = outcome(json, false);
            if (!fast.equals(slow)) {
                differences.add(json + "\n  databind: " + slow + "\n  streamed: " + fast);
            }
        }
        assertEquals(List.of(), differences, String.join("\n", differences));
        assertTrue(streamed >= 25, "most cases take the streamed path: " + streamed);
        assertNull(outcome("{\"balloon\": {\"amount_mib\": 1, \"deflate_on_oom\": true}}", true), "a balloon takes the databind path");
    }

    /** Every section a configuration can hold survives {@link VmResources#applyTo}. */
    @Test
    void applyToGivesAnotherVmResourcesTheSameConfiguration() throws Exception {
        VmResources full = VmResources.fromConfigFile(java.nio.file.Files.writeString(dir.resolve("full.json"), """
                {"boot-source": {"kernel_image_path": "KERNEL", "boot_args": "console=ttyS0"},
                 "machine-config": {"vcpu_count": 2, "mem_size_mib": 256, "track_dirty_pages": true},
                 "cpu-config": {"kvm_capabilities": ["121"]},
                 "drives": [{"drive_id": "data", "path_on_host": "DISK", "is_root_device": false, "is_read_only": true},
                            {"drive_id": "rootfs", "path_on_host": "DISK", "is_root_device": true, "is_read_only": false}],
                 "network-interfaces": [{"iface_id": "eth0", "host_dev_name": "tap0", "guest_mac": "06:00:AC:10:00:02"}],
                 "pmem": [{"id": "pm0", "path_on_host": "DISK"}],
                 "vsock": {"guest_cid": 3, "uds_path": "VSOCK"},
                 "balloon": {"amount_mib": 16, "deflate_on_oom": true},
                 "entropy": {},
                 "memory-hotplug": {"total_size_mib": 1024},
                 "logger": {"level": "Debug"},
                 "mmds-config": {"network_interfaces": ["eth0"]},
                 "serial": {"serial_out_path": "SERIAL"}}
                """.replace("KERNEL", kernel.toString()).replace("DISK", disk.toString())
                .replace("VSOCK", dir.resolve("v.sock").toString()).replace("SERIAL", dir.resolve("console").toString())));
        VmResources copy = new VmResources();
        full.applyTo(copy);
        assertEquals(new String(StrictJson.write(full.export()), StandardCharsets.UTF_8),
                new String(StrictJson.write(copy.export()), StandardCharsets.UTF_8));
    }

    /** The configuration applied, or the error; null when the streamed path gives up. */
    private static String outcome(String json, boolean streamedPath) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        VmResources to = new VmResources();
        try {
            if (streamedPath) {
                if (!VmConfigFile.applyStreamed(bytes, SKIPPED, to)) {
                    return null;
                }
            } else {
                JsonNode tree = StrictJson.tree(bytes, "snapshot configuration");
                if (!tree.isObject()) {
                    return "not an object";
                }
                ((ObjectNode) tree).remove(SKIPPED);
                VmConfigFile.apply(tree, to);
            }
            return describe(to);
        } catch (ConfigException e) {
            return "error " + e.reason() + ": " + e.getMessage();
        }
    }

    private static String describe(VmResources r) {
        return "ok " + new String(StrictJson.write(r.export()), StandardCharsets.UTF_8);
    }
}
