package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace holding one TAP device, for tests that run bin/ember inside it (needs
 * root and /dev/net/tun; the test is skipped otherwise). Frames of EtherType 0x88B5 are
 * captured and sent on the TAP with small Python AF_PACKET scripts.
 */
final class NetnsTap implements AutoCloseable {
    static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    /** Prints READY, then each of argv[2] incoming frames of EtherType 0x88B5 as one hex line. */
    private static final String CAPTURE = String.join("\n",
            "import socket, sys",
            "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))",
            "s.bind((sys.argv[1], 0))",
            "s.settimeout(90)",
            "print('READY', flush=True)",
            "left = int(sys.argv[2])",
            "while left > 0:",
            "    f, a = s.recvfrom(70000)",
            "    if f[12:14] == b'\\x88\\xb5' and a[2] != socket.PACKET_OUTGOING:",
            "        print(f.hex(), flush=True)",
            "        left -= 1");
    /** Sends each hex argument after the interface name as one frame. */
    private static final String SEND = String.join("\n",
            "import socket, sys",
            "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)",
            "s.bind((sys.argv[1], 0))",
            "for h in sys.argv[2:]:",
            "    s.send(bytes.fromhex(h))");

    final String ns;
    final String tap;

    private NetnsTap(String ns, String tap) {
        this.ns = ns;
        this.tap = tap;
    }

    /** Creates the namespace and an up TAP named {@code tap} in it (IPv6 off: no stray frames). */
    static NetnsTap create(String tap) throws IOException, InterruptedException {
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "no /dev/net/tun on this host");
        String ns = "emberapi" + ProcessHandle.current().pid();
        assumeTrue(run(List.of("ip", "netns", "add", ns)) == 0, "cannot create a network namespace (needs root)");
        NetnsTap n = new NetnsTap(ns, tap);
        try {
            assertEquals(0, run(n.in("ip", "tuntap", "add", "dev", tap, "mode", "tap")));
            run(n.in("sysctl", "-qw", "net.ipv6.conf." + tap + ".disable_ipv6=1"));
            assertEquals(0, run(n.in("ip", "link", "set", tap, "up")));
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            n.close();
            throw e;
        }
        return n;
    }

    /** The command prefix that runs a program inside the namespace. */
    List<String> launcher() {
        return List.of("ip", "netns", "exec", ns);
    }

    /** {@code cmd} run inside the namespace. */
    List<String> in(String... cmd) {
        List<String> l = new ArrayList<>(launcher());
        l.addAll(List.of(cmd));
        return l;
    }

    /** A running capture of {@code frames} frames; its first line (READY) has been read. */
    Capture capture(int frames) throws IOException {
        Process p = new ProcessBuilder(in(PYTHON, "-c", CAPTURE, tap, Integer.toString(frames))).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("READY", out.readLine(), "the capture script started");
        return new Capture(p, out);
    }

    /** Sends the frames on the TAP (towards the guest). */
    void send(List<byte[]> frames) throws IOException, InterruptedException {
        List<String> cmd = in(PYTHON, "-c", SEND, tap);
        for (byte[] f : frames) {
            cmd.add(HexFormat.of().formatHex(f));
        }
        assertEquals(0, run(cmd), "frames sent on " + tap);
    }

    /** A 60-byte frame of EtherType 0x88B5 from {@code src} to {@code dst} (hex MACs) carrying {@code text}. */
    static byte[] frame(String dstHex, String srcHex, String text) {
        byte[] f = new byte[60];
        System.arraycopy(HexFormat.of().parseHex(dstHex + srcHex), 0, f, 0, 12);
        f[12] = (byte) 0x88;
        f[13] = (byte) 0xB5;
        byte[] t = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, f, 14, t.length);
        return f;
    }

    static int run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run(List.of("ip", "netns", "del", ns));
    }

    /** Frames captured on the TAP, one per line, in arrival order. */
    static final class Capture implements AutoCloseable {
        private final Process process;
        private final BufferedReader out;

        private Capture(Process process, BufferedReader out) {
            this.process = process;
            this.out = out;
        }

        /** The next captured frame, or null if the capture ended (timeout) first. */
        byte[] next() throws IOException {
            String line = out.readLine();
            return line == null ? null : HexFormat.of().parseHex(line.trim());
        }

        @Override
        public void close() {
            process.destroy();
        }
    }
}
