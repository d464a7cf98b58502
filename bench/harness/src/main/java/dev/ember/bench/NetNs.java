package dev.ember.bench;

import dev.ember.testing.NetworkNamespace;
import dev.ember.testing.RawFrames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
    static final String COUNT = RawFrames.COUNT;
    /** argv: tap, frames, destination MAC (hex). Prints SENT n t0 t1 (CLOCK_MONOTONIC ns around the sends). */
    static final String SEND = RawFrames.SEND_NUMBERED;

    final String name;
    final String python;
    private final NetworkNamespace namespace;

    private NetNs(NetworkNamespace namespace, String python) {
        this.namespace = namespace;
        this.name = namespace.name();
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
    static NetNs create(int frames) throws IOException {
        NetworkNamespace namespace = NetworkNamespace.create("emberbench", false);
        try {
            // The host writes all RX frames at once; the TAP queue holds them until the VMM reads.
            namespace.addTap(TAP, frames + 1000);
        } catch (IOException e) {
            namespace.close();
            throw e;
        }
        return new NetNs(namespace, python());
    }

    /** {@code ip netns exec <ns> cmd...} */
    List<String> in(String... cmd) {
        return namespace.in(cmd);
    }

    List<String> python(String program, String... args) {
        List<String> l = new ArrayList<>(List.of(python, "-c", program));
        l.addAll(List.of(args));
        return namespace.in(l);
    }

    @Override
    public void close() throws IOException {
        namespace.close();
    }
}
