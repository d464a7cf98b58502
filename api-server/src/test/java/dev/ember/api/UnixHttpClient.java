package dev.ember.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A minimal HTTP/1.1 client over AF_UNIX for tests (java.net.http cannot use Unix sockets).
 * One request per connection ("Connection: close"); the response is read to EOF.
 */
public final class UnixHttpClient {
    public record Response(int status, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final Path socket;

    public UnixHttpClient(Path socket) {
        this.socket = socket;
    }

    /** {@code GET /}'s "state": Not started, Running or Paused. */
    public String instanceState() throws IOException {
        return dev.ember.config.StrictJson.MAPPER.readTree(get("/").body()).get("state").asText();
    }

    public Response get(String path) throws IOException {
        return send("GET", path, null);
    }

    public Response put(String path, String body) throws IOException {
        return send("PUT", path, body);
    }

    public Response patch(String path, String body) throws IOException {
        return send("PATCH", path, body);
    }

    public Response send(String method, String path, String body) throws IOException {
        StringBuilder req = new StringBuilder();
        req.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        if (body != null) {
            req.append("Content-Type: application/json\r\nContent-Length: ").append(bytes.length).append("\r\n");
        }
        req.append("\r\n");
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        raw.write(req.toString().getBytes(StandardCharsets.US_ASCII));
        raw.write(bytes);
        return parse(exchange(raw.toByteArray()));
    }

    /**
     * Waits until a server accepts connections on the socket: the file appears at bind(2),
     * a moment before listen(2), so its existence alone is not enough.
     */
    public static boolean awaitListening(Path socket, java.util.function.BooleanSupplier keepWaiting) throws InterruptedException {
        for (int i = 0; i < 12000 && keepWaiting.getAsBoolean(); i++) {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(socket));
                return true;
            } catch (IOException e) {
                Thread.sleep(10);
            }
        }
        return false;
    }

    /** Sends raw bytes and returns everything the server wrote until it closed. */
    byte[] exchange(byte[] request) throws IOException {
        return exchange(request, false);
    }

    /**
     * Sends raw bytes, half-closes when asked (the server then reads EOF), and returns
     * everything the server wrote until it closed.
     */
    byte[] exchange(byte[] request, boolean halfClose) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap(request);
            while (out.hasRemaining()) {
                ch.write(out);
            }
            if (halfClose) {
                ch.shutdownOutput();
            }
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (ch.read(buf) >= 0) {
                in.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            return in.toByteArray();
        }
    }

    static Response parse(byte[] raw) {
        String text = new String(raw, StandardCharsets.UTF_8);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            throw new IllegalStateException("no complete HTTP response: " + text);
        }
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim());
        }
        return new Response(status, headers, text.substring(end + 4));
    }
}
