package dev.ember.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * QEMU's QMP over a Unix socket: newline-delimited JSON. Used to time QEMU's start-up (the
 * greeting) and as the peer's control-plane round trip for the API latency comparison.
 */
public final class QmpClient implements AutoCloseable {
    private final UnixStream stream;
    private final String greeting;

    private QmpClient(UnixStream stream) throws IOException {
        this.stream = stream;
        this.greeting = readLine();
        if (!greeting.contains("\"QMP\"")) {
            throw new IOException("not a QMP greeting: " + greeting);
        }
    }

    /** Connects and reads the greeting (the moment QEMU's monitor is serving). */
    public static QmpClient connect(Path socket) throws IOException {
        UnixStream stream = UnixStream.connect(socket, "QEMU's monitor");
        try {
            return new QmpClient(stream);
        } catch (IOException e) {
            stream.close();
            throw e;
        }
    }

    public String greeting() {
        return greeting;
    }

    /** Sends one command and returns its reply line, skipping asynchronous events. */
    public String execute(String command) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(("{\"execute\":\"" + command + "\"}\n").getBytes(StandardCharsets.US_ASCII));
        stream.writeFully(out);
        while (true) {
            String line = readLine();
            if (line.contains("\"return\"") || line.contains("\"error\"")) {
                return line;
            }
        }
    }

    private String readLine() throws IOException {
        return stream.readLine().trim();
    }

    @Override
    public void close() throws IOException {
        stream.close();
    }
}
