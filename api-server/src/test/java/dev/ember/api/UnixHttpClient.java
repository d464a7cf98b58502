package dev.ember.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A minimal HTTP/1.1 client over AF_UNIX for tests (java.net.http cannot use Unix sockets).
 * One request per connection ("Connection: close"); the response is read to EOF, waiting at most
 * {@link #READ_TIMEOUT} between bytes: a server that hung then fails the test, described by
 * whoever made the client, instead of using up the test runner's limit.
 */
public final class UnixHttpClient {
    public record Response(int status, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Generous: a snapshot load on the nested tier's slow CPU takes seconds, never minutes. */
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(120);

    private final Path socket;
    private final Duration readTimeout;
    private final Supplier<String> server;

    public UnixHttpClient(Path socket) {
        this(socket, READ_TIMEOUT, () -> "");
    }

    /** {@code server} describes the server's state (its output, its threads) when an answer does not come. */
    public UnixHttpClient(Path socket, Duration readTimeout, Supplier<String> server) {
        this.socket = socket;
        this.readTimeout = readTimeout;
        this.server = server;
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
            return readToEnd(ch, request);
        }
    }

    private byte[] readToEnd(SocketChannel ch, byte[] request) throws IOException {
        ch.configureBlocking(false);
        try (Selector selector = Selector.open()) {
            ch.register(selector, SelectionKey.OP_READ);
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (true) {
                int n = ch.read(buf);
                if (n < 0) {
                    return in.toByteArray();
                }
                if (n > 0) {
                    in.write(buf.array(), 0, buf.position());
                    buf.clear();
                } else if (selector.select(readTimeout.toMillis()) == 0) {
                    String line = new String(request, 0, Math.max(0, indexOfLineEnd(request)), StandardCharsets.US_ASCII);
                    throw new SocketTimeoutException("no answer to " + line + " on " + socket + " within " + readTimeout + " ("
                            + in.size() + " bytes so far)\n" + server.get());
                } else {
                    selector.selectedKeys().clear();
                }
            }
        }
    }

    private static int indexOfLineEnd(byte[] request) {
        for (int i = 0; i < request.length; i++) {
            if (request[i] == '\r' || request[i] == '\n') {
                return i;
            }
        }
        return request.length;
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
