package dev.ember.devices.net;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A throw-away network namespace for TAP tests, so they never touch the host's interfaces.
 * TAPs are created inside it from a helper thread that joins the namespace with setns(2) (a
 * thread-local operation), and the host side of the link is driven with {@code ip netns exec}.
 */
public final class NetNamespace implements AutoCloseable {
    private static final long SYS_SETNS = 308;
    private static final long CLONE_NEWNET = 0x4000_0000L;
    static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    private final String name;

    private NetNamespace(String name) {
        this.name = name;
    }

    /** Why TAP tests cannot run here, or null if they can. */
    public static String unavailableReason() {
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            return "/dev/net/tun does not exist";
        }
        int fd = Native.LIBC.open("/dev/net/tun", LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            return "/dev/net/tun cannot be opened: " + Native.LIBC.strerror(Native.errno());
        }
        Native.LIBC.close(fd);
        try {
            if (exec(List.of("ip", "-V")).exit != 0) {
                return "the ip command is not available";
            }
            if (exec(List.of(PYTHON, "-c", "import socket; socket.AF_PACKET")).exit != 0) {
                return "python3 with AF_PACKET is not available";
            }
        } catch (IOException e) {
            return "cannot run helper commands: " + e.getMessage();
        }
        return null;
    }

    public static NetNamespace create() throws IOException {
        String name = "embervt" + ProcessHandle.current().pid() + "x" + Long.toHexString(System.nanoTime() & 0xFFFF);
        Result r = exec(List.of("ip", "netns", "add", name));
        if (r.exit != 0) {
            throw new IOException("ip netns add " + name + " failed (needs CAP_SYS_ADMIN): " + r.output);
        }
        return new NetNamespace(name);
    }

    public String name() {
        return name;
    }

    /** Opens a TAP named {@code ifName} inside the namespace, then brings it up (IPv6 off: no stray frames). */
    public Tap openTap(String ifName) throws Exception {
        AtomicReference<Object> result = new AtomicReference<>();
        Thread t = new Thread(() -> {
            int nsfd = Native.LIBC.open("/var/run/netns/" + name, LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
            try {
                if (nsfd < 0 || Native.LIBC.syscall(SYS_SETNS, nsfd, CLONE_NEWNET, 0) < 0) {
                    result.set(new IOException("setns into " + name + " failed: " + Native.LIBC.strerror(Native.errno())));
                    return;
                }
                result.set(Tap.open(ifName));
            } catch (RuntimeException e) {
                result.set(e);
            } finally {
                if (nsfd >= 0) {
                    Native.LIBC.close(nsfd);
                }
            }
        }, "netns-" + name);
        t.start();
        t.join();
        Object o = result.get();
        if (o instanceof Exception) {
            throw (Exception) o;
        }
        run("sysctl", "-qw", "net.ipv6.conf." + ifName + ".disable_ipv6=1");
        run("ip", "link", "set", ifName, "up");
        return (Tap) o;
    }

    /** Runs a command inside the namespace; throws if it fails. */
    public String run(String... cmd) throws IOException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(List.of(cmd));
        Result r = exec(full);
        if (r.exit != 0) {
            throw new IOException(String.join(" ", cmd) + " failed in netns " + name + ": " + r.output);
        }
        return r.output;
    }

    /** Starts a command inside the namespace without waiting. */
    public Process start(String... cmd) throws IOException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(List.of(cmd));
        return new ProcessBuilder(full).redirectErrorStream(false).start();
    }

    @Override
    public void close() throws IOException {
        exec(List.of("ip", "netns", "del", name));
    }

    record Result(int exit, String output) {}

    static Result exec(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
        return new Result(p.exitValue(), out);
    }
}
