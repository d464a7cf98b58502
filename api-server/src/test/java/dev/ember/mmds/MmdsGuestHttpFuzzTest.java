package dev.ember.mmds;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.config.MmdsVersion;
import dev.ember.devices.mmds.MmdsMetrics;
import dev.ember.devices.mmds.MmdsRequestHandler.Reply;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * The metadata service's guest-facing HTTP (framing, request parsing, V1/V2 sessions and tokens,
 * the store's paths) on the bytes a hostile guest's connection delivers, as the TCP stack hands
 * them over: a 4 KiB connection buffer holding the input's bytes, then, if no answer came, the
 * same bytes as a full buffer. The first byte picks V1 or V2 and IMDS compatibility. A finding is
 * any exception, an answer that consumes more bytes than were received (or none), or one that is
 * not an HTTP response or is a 5xx other than the 501 for a chunked body.
 */
class MmdsGuestHttpFuzzTest {
    private static final int BUFFER = 4096;
    private static final JsonNode STORE;

    static {
        try {
            STORE = new ObjectMapper().readTree("{\"latest\":{\"meta-data\":{\"ami-id\":\"ami-1234\",\"list\":[\"a\",{\"b\":1}]},"
                    + "\"user-data\":\"hello\"},\"n\":43,\"e\":{}}");
        } catch (java.io.IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final MmdsData DATA = new MmdsData() {
        @Override
        public <T> T read(Function<JsonNode, T> reader) {
            return reader.apply(STORE);
        }
    };
    private static final MmdsMetrics METRICS = new MmdsMetrics(dev.ember.metrics.Metrics.group("mmds_http_fuzz"));
    private static final MmdsGuestHttp[] SERVERS = {
        new MmdsGuestHttp(MmdsVersion.V1, false, DATA, METRICS, System::nanoTime),
        new MmdsGuestHttp(MmdsVersion.V2, false, DATA, METRICS, System::nanoTime),
        new MmdsGuestHttp(MmdsVersion.V1, true, DATA, METRICS, System::nanoTime),
        new MmdsGuestHttp(MmdsVersion.V2, true, DATA, METRICS, System::nanoTime),
    };

    /** Entry point for Jazzer's own launcher (the long run in docs/testing.md). */
    public static void fuzzerTestOneInput(byte[] input) {
        new MmdsGuestHttpFuzzTest().request(input);
    }

    @FuzzTest(maxDuration = "5s")
    void request(byte[] input) {
        if (input.length == 0) {
            return;
        }
        MmdsGuestHttp http = SERVERS[input[0] & 3];
        byte[] rx = new byte[BUFFER];
        int len = Math.min(input.length - 1, BUFFER);
        System.arraycopy(input, 1, rx, 0, len);
        int offset = 0;
        // Requests on one connection are answered one after another, as the stack does.
        for (int round = 0; round < 64 && offset < len; round++) {
            byte[] rest = new byte[BUFFER];
            System.arraycopy(rx, offset, rest, 0, len - offset);
            Reply r = http.handle(rest, len - offset, false);
            if (r == null) {
                r = http.handle(rest, len - offset, len == BUFFER);
                if (r == null) {
                    return; // incomplete: the stack waits for more bytes
                }
            }
            check(r, len - offset, rest);
            if (r.closeAfter()) {
                return;
            }
            offset += r.consumed();
        }
    }

    private static void check(Reply r, int received, byte[] rx) {
        String request = new String(rx, 0, received, StandardCharsets.ISO_8859_1);
        assertTrue(r.consumed() > 0 && r.consumed() <= received, "consumed " + r.consumed() + " of " + received + ": " + request);
        String head = new String(r.bytes(), 0, Math.min(r.bytes().length, 16), StandardCharsets.ISO_8859_1);
        assertTrue(head.startsWith("HTTP/1."), "not an HTTP response to: " + request);
        assertFalse(head.matches("HTTP/1\\.[01] 5(?!01).*"), head + " for: " + request);
    }
}
