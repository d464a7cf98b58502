package dev.ember.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.testing.NetworkNamespace;
import dev.ember.testing.RawFrames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

/**
 * A network namespace holding one TAP device, for tests that run bin/ember inside it (needs
 * root and /dev/net/tun; the test is skipped otherwise). Frames of EtherType 0x88B5 are
 * captured and sent on the TAP with the shared raw-frame scripts ({@link RawFrames}).
 */
final class NetnsTap implements AutoCloseable {
    static final String PYTHON = NetworkNamespace.PYTHON;

    final NetworkNamespace namespace;
    final String ns;
    final String tap;

    private NetnsTap(NetworkNamespace namespace, String tap) {
        this.namespace = namespace;
        this.ns = namespace.name();
        this.tap = tap;
    }

    /** Creates the namespace and an up TAP named {@code tap} in it (IPv6 off: no stray frames). */
    static NetnsTap create(String tap) throws IOException {
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "no /dev/net/tun on this host");
        NetworkNamespace namespace;
        try {
            namespace = NetworkNamespace.create("emberapi", false);
        } catch (IOException e) {
            assumeTrue(false, "cannot create a network namespace (needs root): " + e.getMessage());
            throw e;
        }
        try {
            namespace.addTap(tap, 0);
        } catch (IOException | RuntimeException e) {
            namespace.close();
            throw e;
        }
        return new NetnsTap(namespace, tap);
    }

    /** The command prefix that runs a program inside the namespace. */
    List<String> launcher() {
        return namespace.in();
    }

    /** {@code cmd} run inside the namespace. */
    List<String> in(String... cmd) {
        return namespace.in(cmd);
    }

    /** A running capture of {@code frames} frames (90 s at most); its READY line has been read. */
    Capture capture(int frames) throws IOException {
        return new Capture(new RawFrames.Capture(namespace, tap, frames, 90));
    }

    /** Sends the frames on the TAP (towards the guest). */
    void send(List<byte[]> frames) throws IOException {
        RawFrames.send(namespace, tap, frames);
    }

    /** A 60-byte frame of EtherType 0x88B5 from {@code src} to {@code dst} (hex MACs) carrying {@code text}. */
    static byte[] frame(String dstHex, String srcHex, String text) {
        byte[] payload = new byte[46];
        byte[] t = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, payload, 0, t.length);
        return RawFrames.frame(HexFormat.of().parseHex(dstHex), HexFormat.of().parseHex(srcHex), payload);
    }

    /** Runs {@code cmd}; its exit status (-1 if it did not end within 60 s). */
    static int run(List<String> cmd) throws IOException {
        return NetworkNamespace.exec(cmd).exit();
    }

    @Override
    public void close() throws IOException {
        namespace.close();
    }

    /** Frames captured on the TAP, one per call, in arrival order. */
    static final class Capture implements AutoCloseable {
        private final RawFrames.Capture capture;

        private Capture(RawFrames.Capture capture) {
            this.capture = capture;
        }

        /** The next captured frame, or null if the capture ended (timeout) first. */
        byte[] next() throws IOException {
            return capture.next();
        }

        @Override
        public void close() throws IOException {
            capture.close();
        }
    }
}
