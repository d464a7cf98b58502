package dev.ember.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixHttpClientTest {
    @Test
    void talksHttpToTheFloorServerOverOneKeepAliveConnection(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("floor.sock");
        Thread server = new Thread(() -> {
            try {
                FloorServer.main(new String[] {sock.toString()});
            } catch (Exception e) {
                // the test fails on connect if the server never came up
            }
        }, "floor-server");
        server.setDaemon(true);
        server.start();
        try (UnixHttpClient c = connectWhenListening(sock)) {
            ByteBuffer get = UnixHttpClient.request("GET", "/", null);
            for (int i = 0; i < 3; i++) {
                UnixHttpClient.Response r = c.send(get);
                assertEquals(200, r.status());
                assertEquals("{}", r.body());
            }
        }
    }

    /** The socket file appears at bind, a moment before listen: retry refused connects briefly. */
    private static UnixHttpClient connectWhenListening(Path sock) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try {
                if (Files.exists(sock)) {
                    return UnixHttpClient.connect(sock);
                }
            } catch (java.net.ConnectException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("FloorServer never created " + sock);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void requestCarriesContentLengthOfTheBody() {
        ByteBuffer b = UnixHttpClient.request("PUT", "/machine-config", "{\"vcpu_count\":1}");
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        String s = new String(bytes, java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals(true, s.startsWith("PUT /machine-config HTTP/1.1\r\n"));
        assertEquals(true, s.contains("Content-Length: 16\r\n"));
        assertEquals(true, s.endsWith("\r\n\r\n{\"vcpu_count\":1}"));
    }
}
