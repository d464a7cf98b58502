package dev.ember.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile request framing against the real API server: where a body ends must never be
 * guessed, or the bytes after it run as a second, smuggled request.
 */
@Timeout(120) // a regression here shows as a connection left open: fail instead of hanging the build
class ApiFramingTest extends RunningApiTest {
    private static final String SMUGGLED = "PUT /machine-config HTTP/1.1\r\nHost: x\r\nContent-Length: 35\r\n\r\n"
            + "{\"vcpu_count\":2,\"mem_size_mib\":256}";


    private String raw(String request, boolean halfClose) throws Exception {
        return new String(http.exchange(request.getBytes(StandardCharsets.UTF_8), halfClose), StandardCharsets.UTF_8);
    }

    private static int responses(String out) {
        int n = 0;
        for (int i = out.indexOf("HTTP/1.1 "); i >= 0; i = out.indexOf("HTTP/1.1 ", i + 1)) {
            n++;
        }
        return n;
    }

    private void assertMachineConfigUntouched() throws Exception {
        assertEquals(1, ApiServerTest.json(http.get("/machine-config")).get("vcpu_count").asInt());
    }

    @Test
    void overflowingContentLengthIsRefusedAndTheBytesAfterItNeverRun() throws Exception {
        // 2^64 and 2^64+35: an unchecked parser reads them as 0 and 35.
        for (String length : new String[] {"18446744073709551616", "18446744073709551651", "-1", "1e3", "0x10", ""}) {
            for (String method : new String[] {"GET /", "PUT /mmds"}) {
                String out = raw(method + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + "\r\n\r\n" + SMUGGLED, false);
                assertEquals(1, responses(out), length + ": " + out);
                UnixHttpClient.Response r = UnixHttpClient.parse(out.getBytes(StandardCharsets.UTF_8));
                assertEquals(400, r.status(), out);
                assertEquals("close", r.header("connection"), out);
                assertTrue(ApiServerTest.json(r).get("fault_message").asText().startsWith("Invalid HTTP request"), out);
                assertMachineConfigUntouched();
            }
        }
    }

    @Test
    void ambiguousFramingIsRefused() throws Exception {
        String[] heads = {
            "PUT /mmds HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 35\r\n\r\n",
            "PUT /mmds HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
            "PUT /mmds HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
        };
        for (String head : heads) {
            String out = raw(head + "{}" + SMUGGLED, false);
            assertEquals(1, responses(out), head + out);
            assertEquals(400, UnixHttpClient.parse(out.getBytes(StandardCharsets.UTF_8)).status(), out);
            assertMachineConfigUntouched();
        }
    }

    @Test
    void aGetWithABodyIsRefusedAndItsBodyNeverRuns() throws Exception {
        String out = raw("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: " + SMUGGLED.length() + "\r\n\r\n" + SMUGGLED + SMUGGLED, false);
        assertEquals(1, responses(out), out);
        ApiServerTest.assertFault(UnixHttpClient.parse(out.getBytes(StandardCharsets.UTF_8)), 400, "GET request cannot have a body.");
        assertMachineConfigUntouched();
    }

    @Test
    void aBodyCutShortByAHalfCloseIsNeverASuccess() throws Exception {
        String body = "{\"vcpu_count\":2,\"mem_size_mib\":256}";
        String out = raw("PUT /machine-config HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + body, true);
        ApiServerTest.assertFault(UnixHttpClient.parse(out.getBytes(StandardCharsets.UTF_8)), 400,
                "Incomplete HTTP request body: the connection ended after 35 of the 100 bytes that Content-Length announced");
        assertMachineConfigUntouched();
        // Undertow's chunked decoder closes the connection itself when the body ends early:
        // no answer at all, and never a success.
        String chunked = raw("PUT /machine-config HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n23\r\n" + body, true);
        assertTrue(chunked.isEmpty() || chunked.startsWith("HTTP/1.1 400 "), chunked);
        assertMachineConfigUntouched();
    }

    @Test
    void aDeclaredLengthOverTheLimitIsAnsweredBeforeTheBodyArrives() throws Exception {
        // Only 9 of the 60,000 announced bytes are sent and the write side stays open: the answer
        // must come without the rest, and the connection must end after it.
        String out = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(dir.resolve("api.sock")));
                ch.write(ByteBuffer.wrap("PUT /mmds HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n{\"a\": 1, ".getBytes(StandardCharsets.US_ASCII)));
                ByteArrayOutputStream in = new ByteArrayOutputStream();
                ByteBuffer buf = ByteBuffer.allocate(4096);
                while (ch.read(buf) >= 0) {
                    in.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                return in.toString(StandardCharsets.UTF_8);
            }
        });
        UnixHttpClient.Response r = UnixHttpClient.parse(out.getBytes(StandardCharsets.UTF_8));
        ApiServerTest.assertFault(r, 400, "Request payload with size 60000 is larger than the limit of 51200 allowed by server.");
        assertEquals("close", r.header("connection"));
        assertEquals(200, http.get("/").status());
    }

    @Test
    void httpLayerErrorsCarryAFirecrackerFaultMessage() throws Exception {
        String[][] cases = {
            {"GET / HTTP/1.1\r\n\r\n", "Invalid HTTP request: no Host header"},
            {"GET / HTTP/1.1\nHost: x\r\n\r\n", "Invalid HTTP request: the request line or a header could not be parsed"},
            {"GET / HTTP/1.1\r\nHost: x\n\r\n", "Invalid HTTP request: the request line or a header could not be parsed"},
            {"PUT /mmds HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", "Invalid HTTP request: the request line or a header could not be parsed"},
            {"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(ApiServer.MAX_HEADER_BYTES) + "\r\n\r\n", "Invalid HTTP request"},
        };
        for (String[] c : cases) {
            String out = raw(c[0], false);
            UnixHttpClient.Response r = UnixHttpClient.parse(out.getBytes(StandardCharsets.UTF_8));
            ApiServerTest.assertFault(r, 400, c[1]);
            assertEquals(String.valueOf(r.body().getBytes(StandardCharsets.UTF_8).length), r.header("content-length"), out);
        }
        assertEquals(200, http.get("/").status());
    }
}
