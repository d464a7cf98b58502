package dev.ember.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.config.ConfigException;
import dev.ember.config.SnapshotLoadParams;
import dev.ember.config.StrictJson;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A load's network_overrides and vsock_override written into the snapshot's recorded configuration. */
class SnapshotOverridesTest {
    private static final String RECORDED = "{\"network-interfaces\": [{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\"},"
            + " {\"iface_id\": \"eth1\", \"host_dev_name\": \"tap1\"}], \"vsock\": {\"guest_cid\": 3, \"uds_path\": \"/old.sock\"}}";

    private static SnapshotLoadParams load(String extra) throws ConfigException {
        String json = "{\"snapshot_path\": \"s\", \"mem_backend\": {\"backend_type\": \"File\", \"backend_path\": \"m\"}" + extra + "}";
        return SnapshotLoadParams.read(json.getBytes(StandardCharsets.UTF_8), "snapshot load");
    }

    private static JsonNode recorded(String json) throws ConfigException {
        return StrictJson.tree(json.getBytes(StandardCharsets.UTF_8), "recorded");
    }

    @Test
    void overridesMoveTheNamedInterfaceToAnotherTapAndTheVsockToAnotherSocket() throws ConfigException {
        SnapshotLoadParams params = load(", \"network_overrides\": [{\"iface_id\": \"eth1\", \"host_dev_name\": \"tap9\"}],"
                + " \"vsock_override\": {\"uds_path\": \"/new.sock\"}");
        assertTrue(Snapshots.overrides(params));
        JsonNode config = recorded(RECORDED);
        Snapshots.applyOverrides(config, params);
        assertEquals("tap0", config.path("network-interfaces").path(0).path("host_dev_name").asText());
        assertEquals("tap9", config.path("network-interfaces").path(1).path("host_dev_name").asText());
        assertEquals("/new.sock", config.path("vsock").path("uds_path").asText());
        assertEquals(3, config.path("vsock").path("guest_cid").asInt());
    }

    @Test
    void aLoadWithoutOverridesLeavesTheConfigurationAsRecorded() throws ConfigException {
        SnapshotLoadParams params = load("");
        assertFalse(Snapshots.overrides(params));
        JsonNode config = recorded(RECORDED);
        Snapshots.applyOverrides(config, params);
        assertEquals(recorded(RECORDED), config);
    }

    @Test
    void anOverrideForSomethingTheSnapshotLacksIsRefusedByName() throws ConfigException {
        ConfigException iface = assertThrows(ConfigException.class, () -> Snapshots.applyOverrides(recorded(RECORDED),
                load(", \"network_overrides\": [{\"iface_id\": \"eth7\", \"host_dev_name\": \"tap9\"}]")));
        assertEquals("network_overrides: the snapshot has no network interface \"eth7\"", iface.getMessage());
        ConfigException vsock = assertThrows(ConfigException.class, () -> Snapshots.applyOverrides(recorded("{}"),
                load(", \"vsock_override\": {\"uds_path\": \"/new.sock\"}")));
        assertEquals("vsock_override: the snapshot has no vsock device", vsock.getMessage());
    }
}
