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

    /** One line without its {@code \n}, read a byte at a time so nothing after it is consumed. */
    public static String readLine(SocketChannel c) throws IOException {
        return SocketLines.readLine(c);
    }

    /** Exactly {@code n} bytes, or an IOException naming how many came before the stream ended. */
    public static byte[] readExactly(SocketChannel c, int n) throws IOException {
        return SocketLines.readExactly(c, n);
    }
}
