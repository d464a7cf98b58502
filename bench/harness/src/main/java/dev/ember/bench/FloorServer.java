package dev.ember.bench;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The start-up floor: the least a JVM can do to answer {@code GET /} on a Unix socket (JDK
 * classes only, no HTTP library). Run with Ember's JVM flags, it shows how much of Ember's
 * start-up is the JVM itself and how much is Ember.
 */
public final class FloorServer {
    private FloorServer() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: FloorServer SOCKET_PATH");
            System.exit(2);
        }
        Path path = Path.of(args[0]);
        Files.deleteIfExists(path);
        byte[] reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                .getBytes(StandardCharsets.US_ASCII);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
            ByteBuffer in = ByteBuffer.allocate(8192);
            while (true) {
                try (SocketChannel c = server.accept()) {
                    while (readRequest(c, in)) {
                        ByteBuffer out = ByteBuffer.wrap(reply);
                        while (out.hasRemaining()) {
                            c.write(out);
                        }
                    }
                } catch (IOException e) {
                    // client went away mid-request; serve the next one
                }
            }
        }
    }

    /** Reads up to the blank line ending the request head (requests here carry no body). */
    private static boolean readRequest(SocketChannel c, ByteBuffer in) throws IOException {
        in.clear();
        while (true) {
            if (c.read(in) < 0) {
                return false;
            }
            int n = in.position();
            if (n >= 4 && in.get(n - 4) == '\r' && in.get(n - 3) == '\n' && in.get(n - 2) == '\r' && in.get(n - 1) == '\n') {
                return true;
            }
            if (!in.hasRemaining()) {
                in.clear();
            }
        }
    }
}
