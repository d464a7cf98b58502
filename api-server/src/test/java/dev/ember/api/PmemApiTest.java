package dev.ember.api;

import static dev.ember.api.ApiServerTest.NOT_AFTER;
import static dev.ember.api.ApiServerTest.assertFault;
import static dev.ember.api.ApiServerTest.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.app.MicroVm;
import dev.ember.config.VmResources;
import dev.ember.metrics.Metrics;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PUT /pmem/{id} over the real API socket: Firecracker's body, status codes and fault texts,
 * the one-root-device rule across pmem and drives, file checks, replacement in place, the
 * pre-boot-only phase, GET /vm/config's {@code pmem} array and the put_api_requests counters.
 */
class PmemApiTest extends RunningApiTest {
    Path image;
    Path data;
    FakeVmm vmm;
    VmResources resources;

    @BeforeEach
    void files() throws Exception {
        image = Files.write(dir.resolve("rootfs.img"), new byte[4096]);
        data = Files.write(dir.resolve("data.img"), new byte[100]);
        vmm = api.vmm;
        resources = api.resources;
    }

    private static String body(String id, Path path, boolean root, boolean readOnly) {
        return "{\"id\": \"" + id + "\", \"path_on_host\": \"" + path + "\", \"root_device\": " + root + ", \"read_only\": " + readOnly + "}";
    }

    @Test
    void devicesAreListedInOrderAndReplacedInPlace() throws Exception {
        assertEquals(204, http.put("/pmem/pmem0", body("pmem0", image, true, false)).status());
        assertEquals(204, http.put("/pmem/data", "{\"id\": \"data\", \"path_on_host\": \"" + data + "\"}").status());
        JsonNode pmem = json(http.get("/vm/config")).get("pmem");
        assertEquals(2, pmem.size(), pmem.toString());
        assertEquals("pmem0", pmem.get(0).get("id").asText());
        assertEquals(image.toString(), pmem.get(0).get("path_on_host").asText());
        assertTrue(pmem.get(0).get("root_device").asBoolean());
        assertEquals(false, pmem.get(1).get("root_device").asBoolean(), "root_device defaults to false");
        assertEquals(false, pmem.get(1).get("read_only").asBoolean(), "read_only defaults to false");
        // A PUT of an existing id replaces it where it is: /dev/pmem0 stays /dev/pmem0.
        assertEquals(204, http.put("/pmem/pmem0", body("pmem0", data, false, true)).status());
        pmem = json(http.get("/vm/config")).get("pmem");
        assertEquals("pmem0", pmem.get(0).get("id").asText());
        assertEquals(data.toString(), pmem.get(0).get("path_on_host").asText());
        assertTrue(pmem.get(0).get("read_only").asBoolean());
        assertEquals(2, resources.pmem().size());
    }

    @Test
    void vmConfigWithPmemReadsBackAsAConfigFile() throws Exception {
        assertEquals(204, http.put("/pmem/pmem0", body("pmem0", image, true, true)).status());
        assertEquals(204, http.put("/pmem/data", "{\"id\": \"data\", \"path_on_host\": \"" + data
                + "\", \"rate_limiter\": {\"ops\": {\"size\": 5, \"refill_time\": 100}}}").status());
        Path saved = Files.writeString(dir.resolve("saved.json"), http.get("/vm/config").body());
        assertEquals(resources.pmem(), VmResources.fromConfigFile(saved).pmem());
    }

    @Test
    void noPmemIsAnEmptyArray() throws Exception {
        JsonNode view = json(http.get("/vm/config"));
        assertTrue(view.get("pmem").isArray() && view.get("pmem").isEmpty(), view.toString());
    }

    @Test
    void oneRootDeviceAcrossPmemAndDrives() throws Exception {
        assertEquals(204, http.put("/pmem/pmem0", body("pmem0", image, true, false)).status());
        assertFault(http.put("/pmem/pmem1", body("pmem1", data, true, false)), 400,
                "A root pmem device already exist (pmem \"pmem0\" is the root device; set root_device to false for \"pmem1\")");
        assertEquals(204, http.put("/pmem/pmem0", body("pmem0", image, true, true)).status(), "the root device may be replaced as root");
        assertFault(http.put("/drives/rootfs", "{\"drive_id\": \"rootfs\", \"path_on_host\": \"" + image + "\", \"is_root_device\": true}"), 400,
                "Attempt to add block as a root device while the root device defined as a pmem device");
        assertEquals(204, http.put("/pmem/pmem0", body("pmem0", image, false, false)).status());
        assertEquals(204, http.put("/drives/rootfs", "{\"drive_id\": \"rootfs\", \"path_on_host\": \"" + image + "\", \"is_root_device\": true}").status());
        assertFault(http.put("/pmem/pmem0", body("pmem0", image, true, false)), 400,
                "Attempt to add pmem as a root device while the root device defined as a block device (drive \"rootfs\" is the root device");
        assertEquals(1, resources.pmem().size());
        assertEquals(false, resources.pmem().get(0).root(), "a refused PUT changes nothing");
    }

    @Test
    void badBodiesAndFilesAreRefusedNamingTheField() throws Exception {
        assertFault(http.put("/pmem/p", body("q", image, false, false)), 400, "The id from the path does not match the id from the body!");
        assertFault(http.put("/pmem/bad-id", body("bad-id", image, false, false)), 400,
                "API Resource IDs can only contain alphanumeric characters and underscores.");
        assertFault(http.put("/pmem/p", "{\"id\": \"p\"}"), 400,
                ApiServerTest.SERDE + "missing field `path_on_host` at line 1 column 11. pmem.path_on_host is required");
        assertFault(http.put("/pmem/p", "{\"id\": \"p\", \"path_on_host\": \"" + image + "\", \"shared\": true}"), 400,
                ApiServerTest.SERDE + "unknown field `shared`, expected one of `id`, `path_on_host`, `root_device`, `read_only`, `rate_limiter`"
                        + " at line 1 column "); // after the image's path
        assertFault(http.put("/pmem/p", "{\"id\": \"p\", \"path_on_host\": \"" + image + "\", \"read_only\": \"yes\"}"), 400,
                ApiServerTest.SERDE + "invalid type: string \"yes\", expected a boolean at line 1 column ");
        assertFault(http.put("/pmem/p", body("p", dir.resolve("missing.img"), false, false)), 400,
                "pmem[p].path_on_host: " + dir.resolve("missing.img") + " does not exist; give the path of an existing file");
        assertFault(http.put("/pmem/p", body("p", dir, false, false)), 400, "pmem[p].path_on_host: " + dir + " is a directory");
        Path empty = Files.createFile(dir.resolve("empty.img"));
        assertFault(http.put("/pmem/p", body("p", empty, false, false)), 400,
                "Unable to create the virtio-pmem device: Error backing file size is 0 (pmem[p].path_on_host " + empty + " is empty");
        String negative = "{\"id\": \"p\", \"path_on_host\": \"" + image + "\", \"rate_limiter\": {\"ops\": {\"size\": -1, \"refill_time\": 1}}}";
        assertFault(http.put("/pmem/p", negative), 400, ApiServerTest.SERDE + "invalid value: integer `-1`, expected u64 at line 1 column "
                + (negative.indexOf("\"size\": -1") + 10) + ". pmem.rate_limiter.ops.size is -1"); // serde refuses it, as Firecracker
        assertTrue(resources.pmem().isEmpty(), resources.pmem().toString());
    }

    @Test
    void putIsPreBootOnlyAndCounted() throws Exception {
        long count = Metrics.group("put_api_requests").counter("pmem_count").get();
        long fails = Metrics.group("put_api_requests").counter("pmem_fails").get();
        assertEquals(204, http.put("/pmem/p", body("p", image, false, false)).status());
        assertFault(http.put("/pmem/q", body("x", image, false, false)), 400, "The id from the path does not match");
        vmm.state = MicroVm.State.RUNNING;
        assertFault(http.put("/pmem/p", body("p", image, false, false)), 400, NOT_AFTER);
        assertEquals(3, Metrics.group("put_api_requests").counter("pmem_count").get() - count);
        assertEquals(2, Metrics.group("put_api_requests").counter("pmem_fails").get() - fails);
    }

    @Test
    void patchChangesTheRateLimiterAfterBootOnly() throws Exception {
        assertEquals(204, http.put("/pmem/p", body("p", image, false, false)).status());
        String patch = "{\"id\": \"p\", \"rate_limiter\": {\"ops\": {\"size\": 10, \"refill_time\": 1000}}}";
        assertFault(http.patch("/pmem/p", patch), 400, ApiServerTest.NOT_BEFORE);
        vmm.state = MicroVm.State.RUNNING;
        long count = Metrics.group("patch_api_requests").counter("pmem_count").get();
        assertEquals(204, http.patch("/pmem/p", patch).status());
        assertTrue(vmm.calls.contains("pmem p"), vmm.calls.toString());
        assertEquals(10, resources.pmem().get(0).rateLimiter().ops().size());
        assertEquals(1, Metrics.group("patch_api_requests").counter("pmem_count").get() - count);
        assertFault(http.patch("/pmem/p", "{\"id\": \"p\"}"), 400, "Please specify at least one property to patch: rate_limiter.");
        assertFault(http.patch("/pmem/nope", patch.replace("\"p\"", "\"nope\"")), 400,
                "pmem \"nope\" does not exist; PUT /pmem/nope before boot to create it");
        assertFault(http.patch("/pmem/q", patch), 400, "The id from the path does not match the id from the body!");
        assertFault(http.patch("/pmem/p", "{\"id\": \"p\", \"path_on_host\": \"" + data + "\"}"), 400,
                ApiServerTest.SERDE + "unknown field `path_on_host`, expected `id` or `rate_limiter` at line 1 column 26.");
    }
}
