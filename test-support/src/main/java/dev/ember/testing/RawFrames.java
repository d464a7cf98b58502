package dev.ember.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The host's side of a TAP, one Ethernet frame at a time: small python3 programs on an
 * AF_PACKET socket bound to the interface (the JDK has no raw sockets), shared by the device
 * tests, the integration tests and the net benchmark. Frames use EtherType 0x88B5 (IEEE 802
 * local experimental), which nothing else on a link sends.
 */
public final class RawFrames {
    public static final int ETHERTYPE = 0x88B5;

    /** argv: interface, then each frame as hex; sends them in order. */
    public static final String SEND = String.join("\n",
            "import socket, sys",
            "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)",
            "s.bind((sys.argv[1], 0))",
            "for h in sys.argv[2:]:",
            "    s.send(bytes.fromhex(h))");

    /** argv: interface, frames wanted, seconds to wait. Prints READY, then each incoming 0x88B5 frame as one hex line. */
    public static final String CAPTURE = String.join("\n",
            "import socket, sys",
            "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))",
            "s.bind((sys.argv[1], 0))",
            "s.settimeout(float(sys.argv[3]))",
            "print('READY', flush=True)",
            "left = int(sys.argv[2])",
            "while left > 0:",
            "    f, a = s.recvfrom(70000)",
            "    if len(f) >= 14 and f[12:14] == b'\\x88\\xb5' and a[2] != socket.PACKET_OUTGOING:",
            "        print(f.hex(), flush=True)",
            "        left -= 1");

    /**
     * argv: interface, frames wanted, seconds to wait for the first. Prints READY, then
     * {@code COUNT n bytes} once it has that many 0x88B5 frames or none came for 5 s. The
     * receive buffer is forced large: a guest's burst must not overflow it while Python lags.
     */
    public static final String COUNT = String.join("\n",
            "import socket, sys",
            "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88B5))",
            "try:",
            "    s.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE",
            "except OSError:",
            "    pass",
            "s.bind((sys.argv[1], 0))",
            "s.settimeout(float(sys.argv[3]))",
            "print('READY', flush=True)",
            "n = size = 0",
            "while n < int(sys.argv[2]):",
            "    try:",
            "        f, a = s.recvfrom(4096)",
            "    except socket.timeout:",
            "        break",
            "    if a[2] != socket.PACKET_OUTGOING:",
            "        n += 1",
            "        size += len(f)",
            "        s.settimeout(5)",
            "print('COUNT %d %d' % (n, size), flush=True)");

    /**
     * argv: interface, frames, destination MAC (hex). Sends that many numbered 1514-byte 0x88B5
     * frames from 06:00:ac:10:00:01; prints {@code SENT n t0 t1} (CLOCK_MONOTONIC ns around the sends).
     */
    public static final String SEND_NUMBERED = String.join("\n",
            "import socket, struct, sys, time",
            "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)",
            "s.bind((sys.argv[1], 0))",
            "f = bytearray(1514)",
            "f[0:14] = bytes.fromhex(sys.argv[3] + '0600ac10000188b5')",
            "f[18:39] = b'EMBER net-bench frame'",
            "n = int(sys.argv[2])",
            "t0 = time.monotonic_ns()",
            "for i in range(n):",
            "    struct.pack_into('<I', f, 14, i)",
            "    s.send(f)",
            "print('SENT %d %d %d' % (n, t0, time.monotonic_ns()), flush=True)");

    private RawFrames() {}

    /** A frame: destination, source, EtherType 0x88B5, then {@code payload} (no padding). */
    public static byte[] frame(byte[] dst, byte[] src, byte[] payload) {
        byte[] f = new byte[14 + payload.length];
        System.arraycopy(dst, 0, f, 0, 6);
        System.arraycopy(src, 0, f, 6, 6);
        f[12] = (byte) (ETHERTYPE >> 8);
        f[13] = (byte) ETHERTYPE;
        System.arraycopy(payload, 0, f, 14, payload.length);
        return f;
    }

    /** Sends {@code frames} on {@code ifName} inside {@code ns}. */
    public static void send(NetworkNamespace ns, String ifName, List<byte[]> frames) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(NetworkNamespace.PYTHON, "-c", SEND, ifName));
        for (byte[] f : frames) {
            cmd.add(HexFormat.of().formatHex(f));
        }
        ns.run(cmd.toArray(String[]::new));
    }

    /** Frames received on an interface, one per line, in arrival order; started once its READY line is read. */
    public static final class Capture implements AutoCloseable {
        private final Process process;
        private final BufferedReader out;

        /** Captures {@code frames} 0x88B5 frames arriving on {@code ifName} inside {@code ns}, waiting {@code seconds} at most. */
        public Capture(NetworkNamespace ns, String ifName, int frames, int seconds) throws IOException {
            process = ns.start(NetworkNamespace.PYTHON, "-c", CAPTURE, ifName, Integer.toString(frames), Integer.toString(seconds));
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            if (!"READY".equals(first)) {
                throw new IOException("capture on " + ifName + " did not start: " + first + " "
                        + new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            }
        }

        /** The next captured frame, or null once the capture ended (its time ran out) first. */
        public byte[] next() throws IOException {
            String line = out.readLine();
            return line == null ? null : HexFormat.of().parseHex(line.trim());
        }

        @Override
        public void close() throws IOException {
            try {
                if (!process.waitFor(1, TimeUnit.SECONDS)) {
                    process.destroy();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroy();
            }
        }
    }
}
