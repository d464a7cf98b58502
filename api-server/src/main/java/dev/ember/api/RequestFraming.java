package dev.ember.api;

import dev.ember.logging.LogText;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;

/**
 * Checks how a request says where its body ends, before anything reads it.
 *
 * <p>Why this exists: Undertow has already framed the request by the time a handler runs, and
 * it does so leniently: a GET's body is framed only when a length header is present, and a
 * Content-Length is read digit by digit without overflow check, so {@code 18446744073709551616}
 * (2^64) is taken as 0 and the bytes that follow are parsed as a new request (request
 * smuggling). Any request whose framing is not exactly one plain decimal Content-Length (at
 * most 18 digits) or a lone {@code Transfer-Encoding: chunked} is refused here and its
 * connection closed, since where its body ends cannot be trusted.
 */
final class RequestFraming {
    /** 18 decimal digits never overflow a long, whatever Undertow's parser makes of more. */
    private static final int MAX_LENGTH_DIGITS = 18;

    /** What a well-framed request announces: its Content-Length, or -1 for chunked or no body. */
    record Declared(long contentLength, boolean chunked) {}

    private RequestFraming() {}

    /**
     * Returns the request's declared framing, or throws an {@link ApiError} saying what is wrong
     * with it; after such an error the connection must be closed.
     */
    static Declared check(HeaderMap headers) throws ApiError {
        HeaderValues lengths = headers.get(Headers.CONTENT_LENGTH);
        HeaderValues encodings = headers.get(Headers.TRANSFER_ENCODING);
        if (encodings != null && !encodings.isEmpty()) {
            if (lengths != null && !lengths.isEmpty()) {
                throw new ApiError(400, "Invalid HTTP request: both Transfer-Encoding and Content-Length are set;"
                        + " send one of them (Content-Length for a JSON body).");
            }
            if (encodings.size() != 1 || !"chunked".equalsIgnoreCase(encodings.getFirst().trim())) {
                throw new ApiError(400, "Invalid HTTP request: Transfer-Encoding \"" + printable(String.join(", ", encodings))
                        + "\" is not supported; send the body with a Content-Length (or Transfer-Encoding: chunked).");
            }
            return new Declared(-1, true);
        }
        if (lengths == null || lengths.isEmpty()) {
            return new Declared(-1, false);
        }
        if (lengths.size() > 1) {
            throw new ApiError(400, "Invalid HTTP request: " + lengths.size() + " Content-Length headers; send exactly one.");
        }
        String value = lengths.getFirst().trim();
        if (value.isEmpty() || value.length() > MAX_LENGTH_DIGITS || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new ApiError(400, "Invalid HTTP request: Content-Length \"" + printable(value)
                    + "\" is not a byte count; it must be a decimal number of at most " + MAX_LENGTH_DIGITS + " digits.");
        }
        return new Declared(Long.parseLong(value), false);
    }

    /** At most 64 characters of {@code s}, control characters escaped: a header echoed in a fault or log line stays one line. */
    static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return LogText.escape(cut);
    }
}
