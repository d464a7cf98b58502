package dev.ember.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A minimal HTTP/1.1 client over a Unix domain socket (the JDK's HttpClient has no Unix socket
 * transport): one keep-alive connection, requests written as bytes, responses framed by
 * Content-Length or chunked encoding. Just enough to time Ember's API from a Java caller.
 */
public final class UnixHttpClient implements AutoCloseable {
    /** A response: status code and body text. */
    public record Response(int status, String body) {}

    private final UnixStream stream;

    private UnixHttpClient(UnixStream stream) {
        this.stream = stream;
    }

    public static UnixHttpClient connect(Path socket) throws IOException {
        return new UnixHttpClient(UnixStream.connect(socket, "the server"));
    }

    /** Encodes a request once so timed loops only write bytes. */
    public static ByteBuffer request(String method, String path, String jsonBody) {
        byte[] body = jsonBody == null ? new byte[0] : jsonBody.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder()
                .append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: localhost\r\n")
                .append("Accept: application/json\r\n");
        if (jsonBody != null) {
            sb.append("Content-Type: application/json\r\n");
        }
        if (jsonBody != null || method.equals("PUT") || method.equals("PATCH")) {
            sb.append("Content-Length: ").append(body.length).append("\r\n");
        }
        sb.append("\r\n");
        byte[] head = sb.toString().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(head.length + body.length);
        b.put(head).put(body).flip();
        return b.asReadOnlyBuffer();
    }

    public Response send(String method, String path, String jsonBody) throws IOException {
        return send(request(method, path, jsonBody));
    }

    /** Writes a prepared request and reads the whole response. */
    public Response send(ByteBuffer request) throws IOException {
        stream.writeFully(request.duplicate());
        String statusLine = stream.readLine();
        if (!statusLine.startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP response: " + statusLine);
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        long length = -1;
        boolean chunked = false;
        for (String h = stream.readLine(); !h.isEmpty(); h = stream.readLine()) {
            int colon = h.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = h.substring(0, colon).trim();
            String value = h.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Content-Length")) {
                length = Long.parseLong(value);
            } else if (name.equalsIgnoreCase("Transfer-Encoding") && value.equalsIgnoreCase("chunked")) {
                chunked = true;
            }
        }
        String body;
        if (chunked) {
            StringBuilder sb = new StringBuilder();
            while (true) {
                int size = Integer.parseInt(stream.readLine().split(";", 2)[0].trim(), 16);
                if (size == 0) {
                    stream.readLine();
                    break;
                }
                sb.append(new String(stream.readBytes(size), StandardCharsets.UTF_8));
                stream.readLine();
            }
            body = sb.toString();
        } else if (length > 0) {
            body = new String(stream.readBytes((int) length), StandardCharsets.UTF_8);
        } else {
            body = "";
        }
        return new Response(status, body);
    }

    @Override
    public void close() throws IOException {
        stream.close();
    }
}
