package dev.ember.mmds;

import java.nio.charset.StandardCharsets;

/** What the metadata service answers a guest request with. */
record GuestResponse(int status, String contentType, String body, String extraHeader, String extraValue) {
    static final String TEXT = "text/plain";
    static final String JSON = "application/json";

    static GuestResponse text(int status, String body) {
        return new GuestResponse(status, TEXT, body, null, null);
    }

    GuestResponse with(String header, String value) {
        return new GuestResponse(status, contentType, body, header, value);
    }

    byte[] encode(boolean http10, boolean keepAlive) {
        byte[] payload = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(160);
        sb.append(http10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
        sb.append("Server: Ember MMDS\r\n");
        sb.append("Connection: ").append(keepAlive ? "keep-alive" : "close").append("\r\n");
        if (status == 405) {
            sb.append("Allow: GET, PUT\r\n");
        }
        if (extraHeader != null) {
            sb.append(extraHeader).append(": ").append(extraValue).append("\r\n");
        }
        sb.append("Content-Type: ").append(contentType).append("\r\n");
        sb.append("Content-Length: ").append(payload.length).append("\r\n\r\n");
        byte[] head = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[head.length + payload.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(payload, 0, out, head.length, payload.length);
        return out;
    }

    static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 413 -> "Payload Too Large";
            case 501 -> "Not Implemented";
            default -> "Error";
        };
    }
}
