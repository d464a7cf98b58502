package dev.ember.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Raw bytes into the real API server (Undertow on its Unix socket, framing checks, routes, JSON
 * binding, the controller on a {@link FakeVmm}), as a hostile client would send them, then a
 * half-close. A finding is: a 5xx answer (every bad request is a 4xx naming the problem), or
 * the server no longer answering {@code GET /} with 200 on a fresh connection afterwards (a
 * desync, a wedged connection slot, a dead I/O thread), or an exception in this process.
 *
 * <p>Safety: bytes after the head have every '/' turned into '_', so no fuzzed path field can
 * name an absolute file (logger, metrics, snapshot and drive paths are opened or created);
 * relative ones land in the fuzzing run's working directory (target/fuzz-work).
 */
class ApiRequestFuzzTest {
    private static TestApi api;

    private static synchronized TestApi api() throws Exception {
        if (api == null) {
            Path dir = Files.createTempDirectory("ember-api-fuzz");
            api = new TestApi(dir);
        }
        return api;
    }

    /** Entry point for Jazzer's own launcher (the long run in docs/testing.md). */
    public static void fuzzerTestOneInput(byte[] request) throws Exception {
        new ApiRequestFuzzTest().rawRequest(request);
    }

    @FuzzTest(maxDuration = "5s")
    void rawRequest(byte[] request) throws Exception {
        TestApi a = api();
        byte[] answer = a.http.exchange(withoutAbsolutePaths(request), true);
        String head = new String(answer, 0, Math.min(answer.length, 64), StandardCharsets.ISO_8859_1);
        assertFalse(head.startsWith("HTTP/1.1 5") && !head.startsWith("HTTP/1.1 503"), "server error for "
                + new String(request, StandardCharsets.ISO_8859_1) + "\n--- answer ---\n" + new String(answer, StandardCharsets.ISO_8859_1));
        try {
            assertEquals(200, a.http.get("/").status(), "GET / after " + new String(request, StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            throw new AssertionError("the server stopped answering after " + new String(request, StandardCharsets.ISO_8859_1), e);
        }
    }

    static byte[] withoutAbsolutePaths(byte[] request) {
        byte[] out = request.clone();
        int body = indexOf(out, new byte[] {'\r', '\n', '\r', '\n'});
        for (int i = body < 0 ? out.length : body; i < out.length; i++) {
            if (out[i] == '/') {
                out[i] = '_';
            }
        }
        return out;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
