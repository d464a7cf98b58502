package dev.ember.devices.net;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * The host end of a TAP inside a {@link NetNamespace}: raw Ethernet frames sent and captured on
 * the interface with an AF_PACKET socket (python3), i.e. exactly what the host network stack
 * puts on or takes off the TAP.
 */
public final class HostLink {
    /** IEEE 802 "local experimental" EtherType: nothing else on the link uses it. */
    public static final int ETHERTYPE = 0x88B5;

    private static final String SEND = String.join("\n",
            "import socket, sys",
            "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)",
            "s.bind((sys.argv[1], 0))",
            "for h in sys.argv[2:]:",
            "    s.send(bytes.fromhex(h))");
    private static final String RECV = String.join("\n",
            "import socket, sys",
            "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))",
            "s.bind((sys.argv[1], 0))",
            "s.settimeout(float(sys.argv[3]))",
            "print('READY', flush=True)",
            "want = int(sys.argv[2])",
            "while want > 0:",
            "    f, addr = s.recvfrom(70000)",
            "    if len(f) >= 14 and f[12:14] == b'\\x88\\xb5' and addr[2] != socket.PACKET_OUTGOING:",
            "        print(f.hex(), flush=True)",
            "        want -= 1");

    private final NetNamespace ns;
    private final String ifName;

    public HostLink(NetNamespace ns, String ifName) {
        this.ns = ns;
        this.ifName = ifName;
    }

    /** Builds a frame: destination, source, our EtherType, then {@code payload}. */
    public static byte[] frame(byte[] dst, byte[] src, byte[] payload) {
        byte[] f = new byte[14 + payload.length];
        System.arraycopy(dst, 0, f, 0, 6);
        System.arraycopy(src, 0, f, 6, 6);
        f[12] = (byte) (ETHERTYPE >> 8);
        f[13] = (byte) ETHERTYPE;
        System.arraycopy(payload, 0, f, 14, payload.length);
        return f;
    }

    /** Transmits frames from the host side of the TAP (they arrive on the TAP fd). */
    public void send(byte[]... frames) throws IOException {
        String[] cmd = new String[4 + frames.length];
        cmd[0] = NetNamespace.PYTHON;
        cmd[1] = "-c";
        cmd[2] = SEND;
        cmd[3] = ifName;
        for (int i = 0; i < frames.length; i++) {
            cmd[4 + i] = HexFormat.of().formatHex(frames[i]);
        }
        ns.run(cmd);
    }

    /** A capture of frames with our EtherType that the host side receives from the TAP. */
    public final class Capture implements AutoCloseable {
        private final Process p;
        private final BufferedReader out;

        Capture(int count) throws IOException {
            p = ns.start(NetNamespace.PYTHON, "-c", RECV, ifName, Integer.toString(count), "20");
            out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            if (!"READY".equals(first)) {
                throw new IOException("capture on " + ifName + " did not start: " + first
                        + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            }
        }

        /** The next captured frame (waits up to the capture's 20 s socket timeout). */
        public byte[] next() throws IOException {
            String line = out.readLine();
            if (line == null) {
                throw new IOException("capture ended without a frame: "
                        + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            }
            return HexFormat.of().parseHex(line.trim());
        }

        @Override
        public void close() throws IOException {
            try {
                if (!p.waitFor(1, TimeUnit.SECONDS)) {
                    p.destroy();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.close();
        }
    }

    /** Starts capturing {@code count} frames; returns once the socket is bound. */
    public Capture capture(int count) throws IOException {
        return new Capture(count);
    }
}
