package dev.ember.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.undertow.server.HttpHandler;
import io.undertow.util.Headers;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xnio.OptionMap;

class UnixHttpServerTest {
    @TempDir
    Path dir;

    private static final HttpHandler ECHO = exchange -> exchange.getRequestReceiver().receiveFullString((ex, body) -> {
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
        ex.getResponseSender().send(ex.getRequestMethod() + " " + ex.getRequestPath() + " " + body);
    });

    @Test
    void servesHttpOverUnixSocketAndRemovesItOnClose() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (UnixHttpServer server = UnixHttpServer.start(sock, ECHO, OptionMap.EMPTY)) {
            assertTrue(Files.exists(sock));
            UnixHttpClient client = new UnixHttpClient(sock);
            UnixHttpClient.Response r = client.put("/hello", "{\"a\":1}");
            assertEquals(200, r.status());
            assertEquals("PUT /hello {\"a\":1}", r.body());
            // Large bodies cross several reads and writes.
            String big = "x".repeat(200_000);
            assertEquals("PUT /big " + big, client.put("/big", big).body());
        }
        assertFalse(Files.exists(sock));
    }

    @Test
    void keepAliveCarriesSeveralRequestsOnOneConnection() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (UnixHttpServer server = UnixHttpServer.start(sock, ECHO, OptionMap.EMPTY)) {
            String two = "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
            String out = new String(new UnixHttpClient(sock).exchange(two.getBytes(StandardCharsets.US_ASCII)), StandardCharsets.UTF_8);
            assertTrue(out.contains("GET /one "), out);
            assertTrue(out.contains("GET /two "), out);
        }
    }

    @Test
    void curlCanTalkToIt() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (UnixHttpServer server = UnixHttpServer.start(sock, ECHO, OptionMap.EMPTY)) {
            Process p = new ProcessBuilder("curl", "-sS", "--unix-socket", sock.toString(), "-X", "PUT",
                    "-d", "{\"x\":2}", "http://localhost/curl").redirectErrorStream(true).start();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals("PUT /curl {\"x\":2}", new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void manyConcurrentClients() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (UnixHttpServer server = UnixHttpServer.start(sock, ECHO, OptionMap.EMPTY)) {
            List<Thread> threads = new ArrayList<>();
            List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 8; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    try {
                        for (int i = 0; i < 25; i++) {
                            String body = "c" + id + "-" + i;
                            UnixHttpClient.Response r = new UnixHttpClient(sock).put("/p", body);
                            if (!r.body().equals("PUT /p " + body)) {
                                failures.add(r.body());
                            }
                        }
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                });
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join();
            }
            assertEquals(List.of(), failures);
        }
    }

    @Test
    void staleSocketIsReplacedLiveOneRefusedOtherFilesRefused() throws Exception {
        Path stale = dir.resolve("stale.sock");
        ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        old.bind(UnixDomainSocketAddress.of(stale));
        old.close(); // the file stays, nobody listens
        assertTrue(Files.exists(stale));
        try (UnixHttpServer server = UnixHttpServer.start(stale, ECHO, OptionMap.EMPTY)) {
            assertEquals(200, new UnixHttpClient(stale).get("/").status());
            ApiServerException e = assertThrows(ApiServerException.class, () -> UnixHttpServer.start(stale, ECHO, OptionMap.EMPTY));
            assertTrue(e.getMessage().startsWith("another process is already listening on " + stale), e.getMessage());
        }
        Path regular = Files.writeString(dir.resolve("file.sock"), "x");
        ApiServerException e = assertThrows(ApiServerException.class, () -> UnixHttpServer.start(regular, ECHO, OptionMap.EMPTY));
        assertTrue(e.getMessage().contains("exists and is not a socket"), e.getMessage());
        ApiServerException noDir = assertThrows(ApiServerException.class,
                () -> UnixHttpServer.start(dir.resolve("no/such/dir/api.sock"), ECHO, OptionMap.EMPTY));
        assertTrue(noDir.getMessage().startsWith("cannot create the API socket at "), noDir.getMessage());
    }
}
