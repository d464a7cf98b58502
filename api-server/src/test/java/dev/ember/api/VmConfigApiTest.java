package dev.ember.api;

import static dev.ember.api.ApiServerTest.json;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.config.StrictJson;
import dev.ember.config.VmResources;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * GET /vm/config member for member as Firecracker shows it, its absent optional members as
 * nulls (its own API test compares the whole document for equality), and read back as a config file.
 */
class VmConfigApiTest extends RunningApiTest {
    private static JsonNode tree(String json) throws Exception {
        return StrictJson.MAPPER.readTree(json);
    }

    @Test
    void absentOptionalMembersAreNulls() throws Exception {
        Path kernel = Files.write(dir.resolve("vmlinux"), new byte[4096]);
        Path rootfs = Files.write(dir.resolve("rootfs.ext4"), new byte[4096]);
        assertEquals(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + kernel + "\", \"boot_args\": \"\"}").status());
        assertEquals(204, http.put("/drives/rootfs", "{\"drive_id\": \"rootfs\", \"path_on_host\": \"" + rootfs
                + "\", \"is_root_device\": true, \"is_read_only\": true, \"io_engine\": \"Sync\"}").status());
        assertEquals(204, http.put("/drives/scratch", "{\"drive_id\": \"scratch\", \"path_on_host\": \"" + rootfs
                + "\", \"is_root_device\": false, \"is_read_only\": false, \"rate_limiter\": {\"bandwidth\": {\"size\": 5000,"
                + " \"refill_time\": 100}, \"ops\": {\"size\": 500, \"refill_time\": 100}}}").status());
        assertEquals(204, http.put("/network-interfaces/1", "{\"iface_id\": \"1\", \"guest_mac\": \"06:00:00:00:00:01\","
                + " \"host_dev_name\": \"tap1\", \"tx_rate_limiter\": {\"bandwidth\": {\"size\": 1000000, \"refill_time\": 100}}}").status());
        assertEquals(204, http.put("/network-interfaces/2", "{\"iface_id\": \"2\", \"host_dev_name\": \"tap2\"}").status());
        assertEquals(204, http.put("/vsock", "{\"guest_cid\": 15, \"uds_path\": \"vsock.sock\"}").status());
        assertEquals(204, http.put("/entropy", "{}").status());

        String body = http.get("/vm/config").body();
        JsonNode config = json(http.get("/vm/config"));
        assertEquals(tree("{\"kernel_image_path\": \"" + kernel + "\", \"boot_args\": \"\", \"initrd_path\": null}"),
                config.get("boot-source"), body);
        assertEquals(tree("[{\"drive_id\": \"rootfs\", \"partuuid\": null, \"is_root_device\": true, \"cache_type\": \"Unsafe\","
                + " \"is_read_only\": true, \"path_on_host\": \"" + rootfs + "\", \"rate_limiter\": null, \"io_engine\": \"Sync\","
                + " \"socket\": null},"
                + " {\"drive_id\": \"scratch\", \"partuuid\": null, \"is_root_device\": false, \"cache_type\": \"Unsafe\","
                + " \"is_read_only\": false, \"path_on_host\": \"" + rootfs + "\", \"rate_limiter\": {"
                + "\"bandwidth\": {\"size\": 5000, \"one_time_burst\": null, \"refill_time\": 100},"
                + " \"ops\": {\"size\": 500, \"one_time_burst\": null, \"refill_time\": 100}}, \"io_engine\": \"Sync\", \"socket\": null}]"),
                config.get("drives"), body);
        assertEquals(tree("[{\"iface_id\": \"1\", \"host_dev_name\": \"tap1\", \"guest_mac\": \"06:00:00:00:00:01\","
                + " \"rx_rate_limiter\": null, \"tx_rate_limiter\": {\"bandwidth\": {\"size\": 1000000, \"one_time_burst\": null,"
                + " \"refill_time\": 100}, \"ops\": null}},"
                + " {\"iface_id\": \"2\", \"host_dev_name\": \"tap2\", \"guest_mac\": null, \"rx_rate_limiter\": null,"
                + " \"tx_rate_limiter\": null}]"), config.get("network-interfaces"), body);
        assertEquals(tree("{\"guest_cid\": 15, \"uds_path\": \"vsock.sock\"}"), config.get("vsock"), body);
        assertEquals(tree("{\"rate_limiter\": null}"), config.get("entropy"), body);

        // Firecracker's config file takes the document back, nulls and all.
        VmResources back = VmResources.fromConfigFile(Files.writeString(dir.resolve("saved.json"), body));
        assertEquals(api.resources.drives(), back.drives());
        assertEquals(api.resources.networkInterfaces(), back.networkInterfaces());
        assertEquals(api.resources.bootSource(), back.bootSource());
    }
}
