package dev.ember.api;

import static dev.ember.api.ApiServerTest.NOT_AFTER;
import static dev.ember.api.ApiServerTest.NOT_BEFORE;
import static dev.ember.api.ApiServerTest.assertFault;
import static dev.ember.api.ApiServerTest.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.app.MicroVm;
import dev.ember.config.MemoryHotplugConfig;
import dev.ember.config.VmResources;
import dev.ember.metrics.Metrics;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * PUT, PATCH and GET /hotplug/memory over the real API socket: Firecracker's body, defaults,
 * bounds and texts, the phases (PUT pre-boot only; PATCH and GET post-boot only, also GET),
 * the answers without a device, GET /vm/config's {@code memory-hotplug} section and the
 * {@code hotplug_memory} request counters. The running device's own refusals are VirtioMemTest's.
 */
class MemoryHotplugApiTest extends RunningApiTest {
    private static long count(String group, String field) {
        return Metrics.group(group).counter(field).get();
    }

    @Test
    void putFillsFirecrackersDefaultsAndVmConfigShowsThem() throws Exception {
        assertTrue(json(http.get("/vm/config")).get("memory-hotplug").isNull(), "null when not configured");
        assertEquals(204, http.put("/hotplug/memory", "{\"total_size_mib\": 1024}").status());
        JsonNode section = json(http.get("/vm/config")).get("memory-hotplug");
        assertEquals(1024, section.get("total_size_mib").asLong());
        assertEquals(2, section.get("block_size_mib").asLong());
        assertEquals(128, section.get("slot_size_mib").asLong());
        assertEquals(204, http.put("/hotplug/memory", "{\"total_size_mib\": 2048, \"block_size_mib\": 64, \"slot_size_mib\": 256}").status());
        assertEquals(new MemoryHotplugConfig(2048L, 64L, 256L), api.resources.memoryHotplug(), "a second PUT replaces the first");
    }

    @Test
    void vmConfigReadsBackAsAConfigFile() throws Exception {
        assertEquals(204, http.put("/hotplug/memory", "{\"total_size_mib\": 512, \"block_size_mib\": 4, \"slot_size_mib\": 256}").status());
        Path saved = Files.writeString(dir.resolve("saved.json"), http.get("/vm/config").body());
        assertEquals(api.resources.memoryHotplug(), VmResources.fromConfigFile(saved).memoryHotplug());
    }

    @Test
    void sizesOutsideFirecrackersRulesAreRefusedWithItsTexts() throws Exception {
        String prefix = "Memory hotplug config error: ";
        assertFault(put(1024, 1, 128), 400, prefix + "Block size must not be lower than 2 MiB (block_size_mib is 1)");
        assertFault(put(1024, 6, 128), 400, prefix + "Block size must be a power of 2 (block_size_mib is 6)");
        assertFault(put(1024, 2, 64), 400, prefix + "Slot size must not be lower than 128 MiB (slot_size_mib is 64)");
        assertFault(put(1024, 256, 128), 400, prefix + "Slot size must be a multiple of block size (256 MiB) (slot_size_mib is 128)");
        assertFault(put(64, 2, 128), 400, prefix + "Total size must not be lower than slot size (128 MiB) (total_size_mib is 64)");
        assertFault(put(1000, 2, 128), 400, prefix + "Total size must be a multiple of slot size (128 MiB) (total_size_mib is 1000)");
        assertFault(http.put("/hotplug/memory", "{\"total_size_mib\": 4294967296}"), 400,
                "total_size_mib is 4294967296; use a value from 0 to 4294967295");
        assertFault(http.put("/hotplug/memory", "{\"total_size_mib\": -128}"), 400, ApiServerTest.SERDE
                + "invalid value: integer `-128`, expected usize at line 1 column 23. hotplug.total_size_mib is -128");
        assertFault(http.put("/hotplug/memory", "{}"), 400, "missing field `total_size_mib`");
        assertFault(http.put("/hotplug/memory", "{\"total_size_mib\": \"bar\"}"), 400, ApiServerTest.SERDE + "invalid type: string \"bar\", expected usize at line 1 column 24. hotplug.total_size_mib must be an integer");
        assertFault(http.put("/hotplug/memory", "{\"total_size_mib\": 1024, \"requested_size_mib\": 8}"), 400,
                ApiServerTest.SERDE + "unknown field `requested_size_mib`, expected one of `total_size_mib`, `block_size_mib`, `slot_size_mib`"
                        + " at line 1 column 45.");
        assertEquals(null, api.resources.memoryHotplug(), "nothing refused was recorded");
    }

    private UnixHttpClient.Response put(long total, long block, long slot) throws Exception {
        return http.put("/hotplug/memory", "{\"total_size_mib\": " + total + ", \"block_size_mib\": " + block
                + ", \"slot_size_mib\": " + slot + "}");
    }

    @Test
    void putIsPreBootOnlyAndPatchAndGetArePostBootOnly() throws Exception {
        assertFault(http.get("/hotplug/memory"), 400, NOT_BEFORE);
        assertFault(http.patch("/hotplug/memory", "{\"requested_size_mib\": 256}"), 400, NOT_BEFORE);
        assertEquals(204, http.put("/hotplug/memory", "{\"total_size_mib\": 1024}").status());
        api.vmm.state = MicroVm.State.RUNNING;
        assertFault(http.put("/hotplug/memory", "{\"total_size_mib\": 1024}"), 400, NOT_AFTER);
        assertEquals(204, http.patch("/hotplug/memory", "{\"requested_size_mib\": 256}").status());
        assertTrue(api.vmm.calls.contains("hotplug 256"), api.vmm.calls.toString());
        JsonNode status = json(http.get("/hotplug/memory"));
        assertEquals(1024, status.get("total_size_mib").asLong());
        assertEquals(2, status.get("block_size_mib").asLong());
        assertEquals(128, status.get("slot_size_mib").asLong());
        assertEquals(256, status.get("plugged_size_mib").asLong());
        assertEquals(512, status.get("requested_size_mib").asLong());
        assertEquals(5, status.size(), "Firecracker's five fields: " + status);
    }

    @Test
    void withoutTheDeviceTheAnswersAreFirecrackers() throws Exception {
        api.vmm.state = MicroVm.State.RUNNING;
        assertFault(http.get("/hotplug/memory"), 400, "Internal VMM error: Failed perform action on device: Device not found"
                + " (configure memory hotplug with PUT /hotplug/memory before boot)");
        assertFault(http.patch("/hotplug/memory", "{\"requested_size_mib\": 256}"), 400,
                "Memory hotplug update error: Failed perform action on device: Device not found");
        assertTrue(api.vmm.calls.stream().noneMatch(c -> c.startsWith("hotplug")), api.vmm.calls.toString());
    }

    @Test
    void patchBodiesAreChecked() throws Exception {
        assertEquals(204, http.put("/hotplug/memory", "{\"total_size_mib\": 1024}").status());
        api.vmm.state = MicroVm.State.RUNNING;
        assertFault(http.patch("/hotplug/memory", "{}"), 400, "missing field `requested_size_mib`");
        assertFault(http.patch("/hotplug/memory", "{\"requested_size_mib\": -2}"), 400,
                ApiServerTest.SERDE + "invalid value: integer `-2`, expected usize at line 1 column 25. hotplug.requested_size_mib is -2");
        assertFault(http.patch("/hotplug/memory", "{\"requested_size_mib\": 2, \"total_size_mib\": 4}"), 400,
                ApiServerTest.SERDE + "unknown field `total_size_mib`, expected `requested_size_mib` at line 1 column 42.");
        assertTrue(api.vmm.calls.stream().noneMatch(c -> c.startsWith("hotplug")), api.vmm.calls.toString());
    }

    @Test
    void requestsAreCountedUnderHotplugMemory() throws Exception {
        long put = count("put_api_requests", "hotplug_memory_count");
        long putFails = count("put_api_requests", "hotplug_memory_fails");
        long patch = count("patch_api_requests", "hotplug_memory_count");
        long get = count("get_api_requests", "hotplug_memory_count");
        assertEquals(204, http.put("/hotplug/memory", "{\"total_size_mib\": 1024}").status());
        assertEquals(400, http.put("/hotplug/memory", "{\"total_size_mib\": 1}").status());
        api.vmm.state = MicroVm.State.RUNNING;
        assertEquals(204, http.patch("/hotplug/memory", "{\"requested_size_mib\": 2}").status());
        assertEquals(200, http.get("/hotplug/memory").status());
        assertEquals(2, count("put_api_requests", "hotplug_memory_count") - put);
        assertEquals(1, count("put_api_requests", "hotplug_memory_fails") - putFails);
        assertEquals(1, count("patch_api_requests", "hotplug_memory_count") - patch);
        assertEquals(1, count("get_api_requests", "hotplug_memory_count") - get);
    }
}
