package dev.ember.mmds;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.config.MmdsVersion;
import dev.ember.devices.mmds.MmdsMetrics;
import dev.ember.devices.mmds.MmdsRequestHandler.Reply;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The guest-facing HTTP of the metadata service, fed raw request bytes as the TCP stack hands
 * them over: Firecracker's V1/V2 semantics, status codes and bodies, framing and limits.
 */
class MmdsGuestHttpTest {
    static final String STORE = "{\"latest\":{\"meta-data\":{\"ami-id\":\"ami-1234\",\"reservation-id\":\"r-1\","
            + "\"network\":{\"mac\":\"06:00\"}},\"user-data\":\"hello\"},\"age\":43,\"list\":[\"a\",\"b\"]}";

    long now = 5_000_000_000L;
    JsonNode store;
    final MmdsMetrics metrics = new MmdsMetrics(dev.ember.metrics.Metrics.group("mmds_http_test_" + System.nanoTime()));
    final MmdsData data = new MmdsData() {
        @Override
        public <T> T read(Function<JsonNode, T> reader) {
            return reader.apply(store);
        }
    };

    MmdsGuestHttpTest() throws Exception {
        store = new ObjectMapper().readTree(STORE);
    }

    MmdsGuestHttp http(MmdsVersion v, boolean imdsCompat) {
        return new MmdsGuestHttp(v, imdsCompat, data, metrics, () -> now);
    }

    record Answer(int status, String head, String body, boolean close, int consumed) {
        String header(String name) {
            for (String l : head.split("\r\n")) {
                if (l.regionMatches(true, 0, name + ":", 0, name.length() + 1)) {
                    return l.substring(name.length() + 1).trim();
                }
            }
            return null;
        }
    }

    static Answer ask(MmdsGuestHttp h, String request) {
        byte[] rx = new byte[8192];
        byte[] b = request.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(b, 0, rx, 0, b.length);
        Reply r = h.handle(rx, b.length, false);
        assertNotNull(r, "a complete request is answered");
        String s = new String(r.bytes(), StandardCharsets.UTF_8);
        int split = s.indexOf("\r\n\r\n");
        String head = s.substring(0, split);
        String body = s.substring(split + 4);
        int status = Integer.parseInt(head.substring(9, 12));
        Answer a = new Answer(status, head, body, r.closeAfter(), r.consumed());
        assertEquals(Integer.toString(body.getBytes(StandardCharsets.UTF_8).length), a.header("Content-Length"));
        return a;
    }

    static String get(String path, String... headers) {
        return "GET " + path + " HTTP/1.1\r\nHost: 169.254.169.254\r\n" + String.join("", headers) + "\r\n";
    }

    @Test
    void v1GetAnswersImdsTextByDefaultAndJsonWhenAsked() {
        MmdsGuestHttp h = http(MmdsVersion.V1, false);
        Answer dir = ask(h, get("/latest/meta-data/"));
        assertEquals(200, dir.status());
        assertEquals("ami-id\nnetwork/\nreservation-id", dir.body(), "keys sorted, objects with a slash");
        assertEquals("text/plain", dir.header("Content-Type"));
        assertEquals("ami-1234", ask(h, get("/latest/meta-data/ami-id")).body(), "a string is its raw text");
        Answer json = ask(h, get("/latest/meta-data", "Accept: application/json\r\n"));
        assertEquals("{\"ami-id\":\"ami-1234\",\"network\":{\"mac\":\"06:00\"},\"reservation-id\":\"r-1\"}", json.body());
        assertEquals("application/json", json.header("Content-Type"));
        assertEquals("\"ami-1234\"", ask(h, get("/latest//meta-data///ami-id", "Accept: application/json\r\n")).body(),
                "repeated slashes collapse");
        assertEquals("43", ask(h, get("/age", "Accept: application/json\r\n")).body());
        assertEquals("b", ask(h, get("/list/1")).body(), "array elements by index");
        assertEquals("ami-1234", ask(h, get("http://169.254.169.254/latest/meta-data/ami-id?x=1")).body(),
                "absolute-form target, query ignored");
        assertEquals(7, metrics.rxNoToken.get(), "V1 serves but counts requests without a token");
    }

    @Test
    void v1ErrorsAreFirecrackers() {
        MmdsGuestHttp h = http(MmdsVersion.V1, false);
        Answer missing = ask(h, get("/latest/nothing"));
        assertEquals(404, missing.status());
        assertEquals("Resource not found: /latest/nothing.", missing.body());
        Answer number = ask(h, get("/age"));
        assertEquals(501, number.status());
        assertEquals("Cannot retrieve value. The value has an unsupported type.", number.body());
        Answer post = ask(h, "POST /latest HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        assertEquals(405, post.status());
        assertEquals("Not allowed HTTP method.", post.body());
        assertEquals("GET, PUT", post.header("Allow"));
        Answer noPath = ask(h, "GET http://169.254.169.254 HTTP/1.1\r\n\r\n");
        assertEquals(400, noPath.status());
        assertEquals("Invalid URI.", noPath.body());
    }

    @Test
    void imdsCompatAnswersTextWhateverTheAcceptHeader() {
        MmdsGuestHttp h = http(MmdsVersion.V1, true);
        Answer a = ask(h, get("/latest/meta-data/ami-id", "Accept: application/json\r\n"));
        assertEquals("ami-1234", a.body());
        assertEquals("text/plain", a.header("Content-Type"));
    }

    @Test
    void v2TokenDance() {
        MmdsGuestHttp h = http(MmdsVersion.V2, false);
        Answer refused = ask(h, get("/latest/meta-data/ami-id"));
        assertEquals(401, refused.status());
        assertEquals("No MMDS token provided. Use `X-metadata-token` or `X-aws-ec2-metadata-token` header to specify the session token.",
                refused.body());
        Answer issued = ask(h, "PUT /latest/api/token HTTP/1.1\r\nX-metadata-token-ttl-seconds: 60\r\n\r\n");
        assertEquals(200, issued.status());
        assertEquals("60", issued.header("X-metadata-token-ttl-seconds"), "the TTL is echoed");
        String token = issued.body();
        assertTrue(token.length() <= MmdsTokens.MAX_TOKEN_LENGTH && !token.isEmpty());
        assertEquals("ami-1234", ask(h, get("/latest/meta-data/ami-id", "X-metadata-token: " + token + "\r\n")).body());
        assertEquals("ami-1234", ask(h, get("/latest/meta-data/ami-id", "x-aws-ec2-metadata-token: " + token + "\r\n")).body(),
                "the EC2 header name, any case");
        Answer bad = ask(h, get("/latest/meta-data/ami-id", "X-metadata-token: " + token.substring(1) + "x\r\n"));
        assertEquals(401, bad.status());
        assertEquals("MMDS token not valid.", bad.body());
        now += 60_000_000_000L;
        assertEquals(401, ask(h, get("/latest/meta-data/ami-id", "X-metadata-token: " + token + "\r\n")).status(), "expired");
        MmdsGuestHttp afterLoad = http(MmdsVersion.V2, false);
        String fresh = ask(h, "PUT /latest/api/token HTTP/1.1\r\nX-aws-ec2-metadata-token-ttl-seconds: 5\r\n\r\n").body();
        assertEquals(401, ask(afterLoad, get("/latest", "X-metadata-token: " + fresh + "\r\n")).status(),
                "a new authority (snapshot load) does not honour the old one's tokens");
        assertEquals(1, metrics.rxNoToken.get());
        assertEquals(3, metrics.rxInvalidToken.get(), "bad, expired, other authority");
    }

    @Test
    void tokenRequestErrors() {
        MmdsGuestHttp h = http(MmdsVersion.V2, false);
        String base = "PUT /latest/api/token HTTP/1.1\r\n";
        Answer noTtl = ask(h, base + "\r\n");
        assertEquals(400, noTtl.status());
        assertEquals("Token time to live value not found. Use `X-metadata-token-ttl-seconds` or `X-aws-ec2-metadata-token-ttl-seconds`"
                + " header to specify the token's lifetime.", noTtl.body());
        for (String ttl : new String[] {"0", "21601"}) {
            Answer a = ask(h, base + "X-metadata-token-ttl-seconds: " + ttl + "\r\n\r\n");
            assertEquals(400, a.status());
            assertEquals("Invalid time to live value provided for token: " + ttl + ". Please provide a value between 1 and 21600.", a.body());
        }
        Answer text = ask(h, base + "X-metadata-token-ttl-seconds: soon\r\n\r\n");
        assertEquals("Invalid header. Reason: Invalid value. Key:X-metadata-token-ttl-seconds; Value:soon", text.body());
        Answer fwd = ask(h, base + "X-Forwarded-For: 203.0.113.195\r\nX-metadata-token-ttl-seconds: 60\r\n\r\n");
        assertEquals(400, fwd.status());
        assertEquals("Invalid header. Reason: Unsupported header name. Key: X-Forwarded-For", fwd.body());
        Answer path = ask(h, "PUT /latest/api/toke HTTP/1.1\r\nX-metadata-token-ttl-seconds: 60\r\n\r\n");
        assertEquals(404, path.status());
        assertEquals("Resource not found: /latest/api/toke.", path.body());
        assertEquals(200, ask(h, base + "X-metadata-token-ttl-seconds: 21600\r\n\r\n").status());
    }

    @Test
    void v1AlsoIssuesTokensAndServesWithAnInvalidOne() {
        MmdsGuestHttp h = http(MmdsVersion.V1, false);
        assertEquals(200, ask(h, "PUT /latest/api/token HTTP/1.1\r\nX-metadata-token-ttl-seconds: 60\r\n\r\n").status());
        assertEquals("hello", ask(h, get("/latest/user-data", "X-metadata-token: nonsense\r\n")).body());
        assertEquals(1, metrics.rxInvalidToken.get());
    }

    @Test
    void framingKeepAliveAndLimits() {
        MmdsGuestHttp h = http(MmdsVersion.V1, false);
        byte[] rx = new byte[256];
        byte[] partial = "GET /latest HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(partial, 0, rx, 0, partial.length);
        assertNull(h.handle(rx, partial.length, false), "incomplete head waits");
        Reply tooBig = h.handle(rx, rx.length, true);
        assertTrue(new String(tooBig.bytes(), StandardCharsets.US_ASCII).startsWith("HTTP/1.1 413 "));
        assertTrue(tooBig.closeAfter());
        Answer one = ask(h, "GET /latest/user-data HTTP/1.1\r\n\r\nGET /age HTTP/1.1\r\n\r\n");
        assertEquals("hello", one.body());
        assertEquals("GET /latest/user-data HTTP/1.1\r\n\r\n".length(), one.consumed(), "pipelined: one request at a time");
        assertFalse(one.close(), "HTTP/1.1 keeps the connection");
        assertTrue(ask(h, "GET /latest/user-data HTTP/1.0\r\n\r\n").close(), "HTTP/1.0 closes");
        assertTrue(ask(h, get("/latest/user-data", "Connection: close\r\n")).close());
        assertTrue(ask(h, "PUT /latest/api/token HTTP/1.1\r\nContent-Length: 3\r\nX-metadata-token-ttl-seconds: 1\r\n\r\nabc")
                .consumed() > 0, "a body is consumed with its request");
        Answer garbage = ask(h, "HELLO\r\n\r\n");
        assertEquals(400, garbage.status());
        assertTrue(garbage.close(), "a malformed request ends the connection");
        // A head of blank lines only (found by MmdsGuestHttpFuzzTest): a 400, not an exception
        // thrown on the VMM's event loop.
        Answer blank = ask(h, "\r\n\r\n");
        assertEquals(400, blank.status());
        assertEquals("Invalid request line.", blank.body());
        assertTrue(blank.close());
        Answer chunked = ask(h, "PUT /latest/api/token HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
        assertTrue(chunked.close());
    }
}
