package dev.ember.it;

import dev.ember.testing.SocketLines;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The host side of Firecracker's hybrid vsock, as an orchestrator plays it: connect to the
 * device's {@code uds_path}, write {@code CONNECT <port>\n}, read {@code OK <host port>\n}; after
 * that the Unix stream is the connection to the guest's listener.
 */
public final class HybridVsock {
    private HybridVsock() {}

    /** A connection to the guest's listener on {@code port}; fails with what the VMM answered instead of OK. */
    public static SocketChannel connect(Path uds, int port) throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            c.connect(UnixDomainSocketAddress.of(uds));
            c.write(ByteBuffer.wrap(("CONNECT " + port + "\n").getBytes(StandardCharsets.US_ASCII)));
            String answer = readLine(c);
            if (!answer.matches("OK \\d+")) {
                throw new IOException("CONNECT " + port + " was answered '" + answer + "', not OK <port>");
            }
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /**
     * {@link #connect}, tried up to {@code attempts} times while the VMM closes the connection
     * without an answer: it resets a CONNECT whose guest does not answer within Firecracker's 2 s,
     * and a nested, loaded L2 busy right after a snapshot load can be that slow (one whole-tier
     * run with two L1s on two cores saw it once).
     */
    public static SocketChannel connect(Path uds, int port, int attempts) throws IOException {
        for (int i = 1; ; i++) {
            try {
                return connect(uds, port);
            } catch (IOException e) {
                if (i >= attempts || e.getMessage() == null || !e.getMessage().startsWith("end of stream")) {
                    throw e;
                }
            }
        }
    }

    /** One line without its {@code \n}, read a byte at a time so nothing after it is consumed. */
    public static String readLine(SocketChannel c) throws IOException {
        return SocketLines.readLine(c);
    }

    /** Exactly {@code n} bytes, or an IOException naming how many came before the stream ended. */
    public static byte[] readExactly(SocketChannel c, int n) throws IOException {
        return SocketLines.readExactly(c, n);
    }
}
