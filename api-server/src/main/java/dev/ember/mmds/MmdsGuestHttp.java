package dev.ember.mmds;

import dev.ember.config.MmdsVersion;
import dev.ember.devices.mmds.MmdsMetrics;
import dev.ember.devices.mmds.MmdsRequestHandler;
import java.util.function.LongSupplier;

/**
 * HTTP/1.x over the MMDS stack's connections: finds where a request ends (head, then a
 * Content-Length body), parses it and answers with {@link MmdsResponder}. Malformed requests and
 * requests larger than the connection's buffer are answered (400, 413) and the connection is
 * closed, so bytes after them are never read as another request. Runs on the event loop.
 */
public final class MmdsGuestHttp implements MmdsRequestHandler {
    private final MmdsResponder responder;

    /**
     * @param version    the configured MMDS version
     * @param imdsCompat answer in IMDS text whatever the {@code Accept} header says
     * @param data       the store
     * @param metrics    the {@code mmds} group (token counters)
     * @param nanoClock  monotonic time for token expiry
     */
    public MmdsGuestHttp(MmdsVersion version, boolean imdsCompat, MmdsData data, MmdsMetrics metrics, LongSupplier nanoClock) {
        this.responder = new MmdsResponder(version, imdsCompat, data, new MmdsTokens(nanoClock), metrics);
    }

    @Override
    public Reply handle(byte[] rx, int length, boolean bufferFull) {
        int head = headEnd(rx, length);
        if (head < 0) {
            return bufferFull ? close(GuestResponse.text(413, "Request too large."), length) : null;
        }
        GuestRequest r;
        try {
            r = GuestRequest.parse(rx, head);
        } catch (IllegalArgumentException e) {
            return close(GuestResponse.text(400, e.getMessage()), length);
        }
        if (r.value("Transfer-Encoding") != null) {
            return close(GuestResponse.text(501, "Chunked requests are not supported."), length);
        }
        long body = contentLength(r);
        if (body < 0) {
            return close(GuestResponse.text(400, "Invalid Content-Length."), length);
        }
        if (head + body > rx.length) {
            return close(GuestResponse.text(413, "Request too large."), length);
        }
        if (head + body > length) {
            return null; // the body is still coming
        }
        GuestResponse response = responder.respond(r);
        boolean keep = r.keepAlive();
        return new Reply((int) (head + body), response.encode(r.http10(), keep), !keep);
    }

    private static Reply close(GuestResponse response, int consumed) {
        return new Reply(consumed, response.encode(false, false), true);
    }

    /** Length of the head including its blank line, or -1 while it is incomplete. */
    private static int headEnd(byte[] b, int len) {
        for (int i = 3; i < len; i++) {
            if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
                return i + 1;
            }
        }
        return -1;
    }

    private static long contentLength(GuestRequest r) {
        String v = r.value("Content-Length");
        return v == null ? 0 : GuestRequest.decimal(v, 9);
    }
}
