package dev.ember.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace holding one persistent TAP for the net-bench runs: the VMM under test is
 * started inside it ({@code ip netns exec}) and opens the TAP by name; the host's side of the
 * traffic is two small Python programs on an AF_PACKET socket bound to the TAP (the JDK has no
 * raw sockets): {@link #COUNT} counts the frames the guest sends, {@link #SEND} writes numbered
 * frames for the guest to receive. Needs root, /dev/net/tun, iproute2 and python3.
 */
final class NetNs implements AutoCloseable {
    static final String TAP = "vtap0";
    static final String GUEST_MAC = "06:00:ac:10:00:02";

    /** argv: tap, frames wanted, seconds to wait for the first frame. Prints READY, then COUNT n bytes. */
    static final String COUNT = String.join("\n",
            "import socket, sys",
            "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88B5))",
            "try:",
            "    s.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE: no drops while Python lags",
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
    /** argv: tap, frames, destination MAC (hex). Prints SENT n t0 t1 (CLOCK_MONOTONIC ns around the sends). */
    static final String SEND = String.join("\n",
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

    final String name;
    final String python;

    private NetNs(String name, String python) {
        this.name = name;
        this.python = python;
    }

    /** Why net-bench cannot run on this host, or null. */
    static String unavailable() {
        try {
            if (((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() != 0) {
                return "needs root (ip netns, a TAP device)";
            }
        } catch (IOException | UnsupportedOperationException e) {
            return "cannot tell whether this is root: " + e.getMessage();
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            return "no /dev/net/tun";
        }
        if (Exec.which("ip") == null) {
            return "iproute2 (ip) not installed";
        }
        if (python() == null) {
            return "python3 not installed (the host side of the traffic uses an AF_PACKET socket)";
        }
        return null;
    }

    static String python() {
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : Exec.which("python3");
    }

    /** Creates the namespace and its TAP, up, queue long enough to hold {@code frames} frames. */
    static NetNs create(int frames) throws IOException, InterruptedException {
        NetNs ns = new NetNs("emberbench" + ProcessHandle.current().pid(), python());
        run(List.of("ip", "netns", "add", ns.name));
        try {
            run(ns.in("ip", "tuntap", "add", "dev", TAP, "mode", "tap"));
            run(ns.in("sysctl", "-qw", "net.ipv6.conf." + TAP + ".disable_ipv6=1"));
            // The host writes all RX frames at once; the TAP queue holds them until the VMM reads.
            run(ns.in("ip", "link", "set", TAP, "txqueuelen", Integer.toString(frames + 1000), "up"));
        } catch (IOException | InterruptedException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    /** {@code ip netns exec <ns> cmd...} */
    List<String> in(String... cmd) {
        return in(List.of(cmd));
    }

    List<String> in(List<String> cmd) {
        List<String> l = new ArrayList<>(List.of("ip", "netns", "exec", name));
        l.addAll(cmd);
        return l;
    }

    List<String> python(String program, String... args) {
        List<String> l = new ArrayList<>(List.of(python, "-c", program));
        l.addAll(List.of(args));
        return in(l);
    }

    static void run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", cmd));
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + "): " + out);
        }
    }

    @Override
    public void close() throws InterruptedException {
        try {
            run(List.of("ip", "netns", "del", name));
        } catch (IOException e) {
            System.err.println("bench/run: " + e.getMessage());
        }
    }
}
