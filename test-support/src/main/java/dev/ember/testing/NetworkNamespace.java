package dev.ember.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A throw-away network namespace ({@code ip netns}), so tests and benchmarks that need TAP
 * devices never touch the host's interfaces. Commands run inside it through
 * {@code ip netns exec}; every command is bounded in time. Needs root and iproute2.
 */
public final class NetworkNamespace implements AutoCloseable {
    /** The python3 the raw-frame scripts ({@link RawFrames}) run with. */
    public static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    private final String name;

    private NetworkNamespace(String name) {
        this.name = name;
    }

    /** A new namespace named {@code prefix} plus this process's pid (and a few hex digits when {@code unique}). */
    public static NetworkNamespace create(String prefix, boolean unique) throws IOException {
        String name = prefix + ProcessHandle.current().pid() + (unique ? "x" + Long.toHexString(System.nanoTime() & 0xFFFF) : "");
        HostCommand.Result r = exec(List.of("ip", "netns", "add", name));
        if (r.exit() != 0) {
            throw new IOException("ip netns add " + name + " failed (needs CAP_SYS_ADMIN): " + r.output());
        }
        return new NetworkNamespace(name);
    }

    public String name() {
        return name;
    }

    /** {@code ip netns exec <name> cmd...} */
    public List<String> in(String... cmd) {
        return in(List.of(cmd));
    }

    public List<String> in(List<String> cmd) {
        List<String> l = new ArrayList<>(List.of("ip", "netns", "exec", name));
        l.addAll(cmd);
        return l;
    }

    /** Runs {@code cmd} inside the namespace; its output, or an IOException with it when it fails. */
    public String run(String... cmd) throws IOException {
        return runChecked(in(cmd));
    }

    /** Starts {@code cmd} inside the namespace without waiting. */
    public Process start(String... cmd) throws IOException {
        return new ProcessBuilder(in(cmd)).start();
    }

    /** Creates a TAP named {@code tap} in the namespace and brings it up (IPv6 off: no stray frames). */
    public void addTap(String tap, int txQueueLength) throws IOException {
        run("ip", "tuntap", "add", "dev", tap, "mode", "tap");
        setUp(tap, txQueueLength);
    }

    /** Brings {@code ifName} up with IPv6 off (no stray frames) and, if positive, the given TX queue length. */
    public void setUp(String ifName, int txQueueLength) throws IOException {
        run("sysctl", "-qw", "net.ipv6.conf." + ifName + ".disable_ipv6=1");
        if (txQueueLength > 0) {
            run("ip", "link", "set", ifName, "txqueuelen", Integer.toString(txQueueLength), "up");
        } else {
            run("ip", "link", "set", ifName, "up");
        }
    }

    /** Deletes the namespace (and the TAPs in it); a failure is only reported on stderr, a test's result stands. */
    @Override
    public void close() throws IOException {
        HostCommand.Result r = exec(List.of("ip", "netns", "del", name));
        if (r.exit() != 0) {
            System.err.println("ip netns del " + name + " failed: " + r.output());
        }
    }

    /** Runs {@code cmd} (at most 60 s; see {@link HostCommand}). */
    public static HostCommand.Result exec(List<String> cmd) throws IOException {
        try {
            return HostCommand.run(Duration.ofSeconds(60), cmd);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new HostCommand.Result(-1, String.join(" ", cmd) + ": interrupted");
        }
    }

    /** Runs {@code cmd}; its output, or an IOException naming the command, its status and output. */
    public static String runChecked(List<String> cmd) throws IOException {
        HostCommand.Result r = exec(cmd);
        if (r.exit() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed (exit " + r.exit() + "): " + r.output());
        }
        return r.output();
    }
}
