package dev.ember.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** Blocking reads from a socket for protocol tests (vsock's {@code CONNECT}/{@code OK} lines and payloads). */
public final class SocketLines {
    private SocketLines() {}

    /** One line without its {@code \n}, read a byte at a time so nothing after it is consumed. */
    public static String readLine(SocketChannel c) throws IOException {
        StringBuilder sb = new StringBuilder();
        ByteBuffer b = ByteBuffer.allocate(1);
        while (true) {
            b.clear();
            if (c.read(b) < 0) {
                throw new IOException("end of stream inside a line: " + sb);
            }
            if (b.get(0) == '\n') {
                return sb.toString();
            }
            sb.append((char) b.get(0));
        }
    }

    /** Exactly {@code n} bytes, or an IOException naming how many came before the stream ended. */
    public static byte[] readExactly(SocketChannel c, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (c.read(b) < 0) {
                throw new IOException("end of stream after " + b.position() + " of " + n + " bytes");
            }
        }
        return b.array();
    }
}
