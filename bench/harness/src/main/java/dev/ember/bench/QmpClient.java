package dev.ember.bench;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * QEMU's QMP over a Unix socket: newline-delimited JSON. Used to time QEMU's start-up (the
 * greeting) and as the peer's control-plane round trip for the API latency comparison.
 */
public final class QmpClient implements AutoCloseable {
    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
    private final String greeting;

    private QmpClient(SocketChannel channel) throws IOException {
        this.channel = channel;
        in.limit(0);
        this.greeting = readLine();
        if (!greeting.contains("\"QMP\"")) {
            throw new IOException("not a QMP greeting: " + greeting);
        }
    }

    /** Connects and reads the greeting (the moment QEMU's monitor is serving). */
    public static QmpClient connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return new QmpClient(ch);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    public String greeting() {
        return greeting;
    }

    /** Sends one command and returns its reply line, skipping asynchronous events. */
    public String execute(String command) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(("{\"execute\":\"" + command + "\"}\n").getBytes(StandardCharsets.US_ASCII));
        while (out.hasRemaining()) {
            channel.write(out);
        }
        while (true) {
            String line = readLine();
            if (line.contains("\"return\"") || line.contains("\"error\"")) {
                return line;
            }
        }
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            while (in.hasRemaining()) {
                char c = (char) (in.get() & 0xff);
                if (c == '\n') {
                    return sb.toString().trim();
                }
                sb.append(c);
            }
            in.compact();
            int n = channel.read(in);
            in.flip();
            if (n < 0) {
                throw new IOException("QMP connection closed");
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
