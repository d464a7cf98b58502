package dev.ember.bench;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * A connected Unix stream socket read through one 64 KiB buffer: what the benchmarks' protocol
 * clients (HTTP to Ember's API, QMP to QEMU's monitor) share. Lines end at LF, a CR before it
 * is dropped.
 */
final class UnixStream implements AutoCloseable {
    private final SocketChannel channel;
    private final String peer;
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024);

    private UnixStream(SocketChannel channel, String peer) {
        this.channel = channel;
        this.peer = peer;
        in.limit(0);
    }

    /** Connects to {@code socket}; {@code peer} names the other end in errors. */
    static UnixStream connect(Path socket, String peer) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new UnixStream(ch, peer);
    }

    void writeFully(ByteBuffer out) throws IOException {
        while (out.hasRemaining()) {
            channel.write(out);
        }
    }

    String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            while (in.hasRemaining()) {
                char c = (char) (in.get() & 0xff);
                if (c == '\n') {
                    int n = sb.length();
                    return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
                }
                sb.append(c);
            }
            fill();
        }
    }

    byte[] readBytes(int n) throws IOException {
        byte[] out = new byte[n];
        int off = 0;
        while (off < n) {
            if (!in.hasRemaining()) {
                fill();
            }
            int k = Math.min(n - off, in.remaining());
            in.get(out, off, k);
            off += k;
        }
        return out;
    }

    private void fill() throws IOException {
        in.compact();
        int n = channel.read(in);
        in.flip();
        if (n < 0) {
            throw new IOException("connection closed by " + peer);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
