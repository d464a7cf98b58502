package dev.ember.api;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Gives Undertow's own HTTP-layer error answers Firecracker's JSON body.
 *
 * <p>Why at the byte level: a request Undertow cannot parse (a stray LF, a bad Content-Length,
 * an over-long header) and an HTTP/1.1 request without Host are answered by Undertow itself,
 * before any handler of ours runs, with a body-less {@code 400} (a fixed string in its request
 * reader, and the Host check it wraps around every root handler). Firecracker's clients read
 * {@code fault_message} from every error. So the connection's sink recognises such a complete
 * error response — 4xx/5xx status, {@code Content-Length: 0}, nothing after the header block;
 * our handlers never send one, every fault of ours has a body — and writes it with a body.
 */
final class BodilessErrors {
    /** Undertow's error answers are one short header block; anything longer is not one of them. */
    static final int MAX_HEAD = 512;

    private BodilessErrors() {}

    /**
     * The replacement for the bytes {@code srcs[offs..offs+len)} hold, or null when they are not
     * exactly one body-less error response. Positions are not changed.
     */
    static ByteBuffer rewrite(ByteBuffer[] srcs, int offs, int len) {
        if (len == 0 || !looksLikeError(srcs[offs])) {
            return null; // the common case, decided without copying
        }
        long total = 0;
        for (int i = offs; i < offs + len; i++) {
            total += srcs[i].remaining();
        }
        if (total < 16 || total > MAX_HEAD) {
            return null;
        }
        byte[] head = new byte[(int) total];
        int at = 0;
        for (int i = offs; i < offs + len; i++) {
            ByteBuffer b = srcs[i];
            int n = b.remaining();
            b.get(b.position(), head, at, n);
            at += n;
        }
        return rewrite(new String(head, StandardCharsets.ISO_8859_1));
    }

    /** "HTTP/1.x 4" or "HTTP/1.x 5" at the buffer's position. */
    static boolean looksLikeError(ByteBuffer b) {
        int p = b.position();
        if (b.remaining() < 10) {
            return false;
        }
        for (int i = 0; i < 7; i++) {
            if (b.get(p + i) != "HTTP/1.".charAt(i)) {
                return false;
            }
        }
        byte digit = b.get(p + 9);
        return b.get(p + 8) == ' ' && (digit == '4' || digit == '5');
    }

    static ByteBuffer rewrite(String response) {
        if (!(response.startsWith("HTTP/1.1 ") || response.startsWith("HTTP/1.0 ")) || !response.endsWith("\r\n\r\n")
                || response.indexOf("\r\n\r\n") != response.length() - 4) {
            return null;
        }
        String[] lines = response.substring(0, response.length() - 4).split("\r\n");
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || status[1].length() != 3 || (status[1].charAt(0) != '4' && status[1].charAt(0) != '5')) {
            return null;
        }
        boolean emptyBody = false;
        StringBuilder kept = new StringBuilder();
        for (int i = 1; i < lines.length; i++) {
            String name = lines[i].substring(0, Math.max(0, lines[i].indexOf(':'))).trim().toLowerCase(Locale.ROOT);
            if (name.equals("content-length")) {
                emptyBody = lines[i].substring(lines[i].indexOf(':') + 1).trim().equals("0");
            } else if (!name.equals("content-type")) {
                kept.append(lines[i]).append("\r\n");
            }
        }
        if (!emptyBody) {
            return null;
        }
        String reason = status.length == 3 ? status[2] : "";
        byte[] body = ResponseJson.write(new ApiResponse.Fault(message(status[1], reason)));
        String out = "HTTP/1.1 " + status[1] + " " + (status[1].equals("400") ? "Bad Request" : reason) + "\r\n" + kept
                + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n";
        ByteBuffer buf = ByteBuffer.allocate(out.length() + body.length);
        buf.put(out.getBytes(StandardCharsets.ISO_8859_1)).put(body).flip();
        return buf;
    }

    /** What the client did wrong, in Firecracker's fault_message style, from Undertow's status and reason. */
    static String message(String code, String reason) {
        return switch (reason) {
            case "No Host Header" -> "Invalid HTTP request: no Host header; HTTP/1.1 requires one (curl sends \"Host: localhost\").";
            case "Only One Host Header Allowed" -> "Invalid HTTP request: more than one Host header; send exactly one.";
            case "Host Header Malformed IP-Literal" -> "Invalid HTTP request: the Host header is a malformed IP literal.";
            case "Bad Request" -> "Invalid HTTP request: the request line or a header could not be parsed (lines end with CRLF,"
                    + " header names are tokens, Content-Length is one decimal number, the head is at most "
                    + ApiServer.MAX_HEADER_BYTES + " bytes). The connection is closed.";
            default -> "HTTP error " + code + (reason.isEmpty() ? "" : " (" + reason + ")") + ".";
        };
    }
}
