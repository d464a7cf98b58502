package dev.ember.api;

import static dev.ember.api.ApiServerTest.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.app.KvmMicroVm;
import dev.ember.app.VmmController;
import dev.ember.config.VmResources;
import dev.ember.logging.MetricsWriter;
import dev.ember.testing.StorageDaemon;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PUT /drives with {@code socket} over the real API socket in front of the real {@link KvmMicroVm}
 * (no KVM needed before the start): as Firecracker, the back-end is connected at PUT, so a socket
 * nobody serves is a 400 with Firecracker's text and the drive is not recorded; a served one is
 * connected once and held, and a PUT replacing the drive lets that connection go.
 */
class VhostUserDriveApiTest {
    private static final String FC = "Unable to create the virtio block device: Vhost user backend error: Vhost-user error: "
            + "Failed to connect to UDS Unix stream: ";

    @TempDir
    Path dir;
    private KvmMicroVm vmm;
    private MetricsWriter metrics;
    private ApiServer server;
    private UnixHttpClient http;

    @BeforeEach
    void start() throws Exception {
        vmm = new KvmMicroVm();
        metrics = new MetricsWriter();
        Path socket = dir.resolve("api.sock");
        server = ApiServer.start(socket, new VmmController("vm1", new VmResources(), vmm, metrics), 51200);
        http = new UnixHttpClient(socket);
    }

    @AfterEach
    void stop() {
        server.close();
        vmm.shutdown();
        metrics.close();
    }

    private static String drive(String id, Path socket) {
        return "{\"drive_id\": \"" + id + "\", \"is_root_device\": false, \"socket\": \"" + socket + "\"}";
    }

    private String fault(UnixHttpClient.Response r) throws Exception {
        assertEquals(400, r.status(), r.body());
        return json(r).get("fault_message").asText();
    }

    @Test
    void aSocketNobodyServesIsRefusedAtPutWithFirecrackersText() throws Exception {
        Path missing = dir.resolve("missing.sock");
        assertEquals(FC + "No such file or directory (os error 2) (drive \"vu\", socket " + missing
                + "); is the back-end running and listening there?", fault(http.put("/drives/vu", drive("vu", missing))));

        Path dead = dir.resolve("dead.sock"); // bound once, nobody listens now
        try (ServerSocketChannel s = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(dead));
        }
        assertEquals(FC + "Connection refused (os error 111) (drive \"vu\", socket " + dead
                + "); is the back-end running and listening there?", fault(http.put("/drives/vu", drive("vu", dead))));

        assertEquals(0, json(http.get("/vm/config")).get("drives").size(), "a refused drive is not recorded");
    }

    @Test
    void aServedSocketIsConnectedAtPutAndReplacingTheDriveLetsTheConnectionGo() throws Exception {
        assumeTrue(Files.isExecutable(StorageDaemon.BINARY), StorageDaemon.BINARY + " is not installed");
        Path image = StorageDaemon.rawImage(dir.resolve("disk.img"), 1 << 20, 0, new byte[] {1});
        try (StorageDaemon daemon = StorageDaemon.start(image, dir.resolve("vu.sock"), true)) {
            assertEquals(204, http.put("/drives/vu", drive("vu", daemon.socket())).status());
            awaitConnections(daemon.socket(), 1);
            String config = http.get("/vm/config").body();
            assertEquals(daemon.socket().toString(), json(http.get("/vm/config")).get("drives").get(0).get("socket").asText(), config);

            // The same drive again: the old connection goes first, the back-end serves the new one.
            assertEquals(204, http.put("/drives/vu", drive("vu", daemon.socket())).status());
            awaitConnections(daemon.socket(), 1);
            assertEquals(config, http.get("/vm/config").body());

            // Replaced by a file-backed drive: no connection is left.
            assertEquals(204, http.put("/drives/vu", "{\"drive_id\": \"vu\", \"is_root_device\": false, \"path_on_host\": \""
                    + image + "\"}").status());
            awaitConnections(daemon.socket(), 0);
            assertTrue(daemon.process().isAlive(), daemon.output());
        }
    }

    /**
     * Waits (bounded) until the daemon holds {@code n} accepted connections on {@code socket}: an
     * accepted Unix socket carries its listener's path in /proc/net/unix, the listener itself too.
     */
    private static void awaitConnections(Path socket, int n) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        long seen;
        do {
            seen = Files.readAllLines(Path.of("/proc/net/unix")).stream().filter(l -> l.endsWith(" " + socket)).count() - 1;
            if (seen == n) {
                return;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        assertEquals(n, seen, "connections the back-end holds on " + socket);
    }
}
