package dev.ember.devices.net;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.testing.NetworkNamespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A throw-away network namespace for TAP tests, so they never touch the host's interfaces.
 * TAPs are created inside it from a helper thread that joins the namespace with setns(2) (a
 * thread-local operation), so this process holds the TAP's fd; the host side of the link is
 * driven with {@code ip netns exec} ({@link NetworkNamespace}).
 */
public final class NetNamespace implements AutoCloseable {
    private static final long SYS_SETNS = 308;
    private static final long CLONE_NEWNET = 0x4000_0000L;

    private final NetworkNamespace host;

    private NetNamespace(NetworkNamespace host) {
        this.host = host;
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
            if (NetworkNamespace.exec(List.of("ip", "-V")).exit() != 0) {
                return "the ip command is not available";
            }
            if (NetworkNamespace.exec(List.of(NetworkNamespace.PYTHON, "-c", "import socket; socket.AF_PACKET")).exit() != 0) {
                return "python3 with AF_PACKET is not available";
            }
        } catch (IOException e) {
            return "cannot run helper commands: " + e.getMessage();
        }
        return null;
    }

    public static NetNamespace create() throws IOException {
        return new NetNamespace(NetworkNamespace.create("embervt", true));
    }

    public String name() {
        return host.name();
    }

    /** The namespace as the shared test support drives it (commands, raw frames). */
    public NetworkNamespace host() {
        return host;
    }

    /** Opens a TAP named {@code ifName} inside the namespace, then brings it up (IPv6 off: no stray frames). */
    public Tap openTap(String ifName) throws Exception {
        AtomicReference<Object> result = new AtomicReference<>();
        Thread t = new Thread(() -> {
            int nsfd = Native.LIBC.open("/var/run/netns/" + name(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
            try {
                if (nsfd < 0 || Native.LIBC.syscall(SYS_SETNS, nsfd, CLONE_NEWNET, 0) < 0) {
                    result.set(new IOException("setns into " + name() + " failed: " + Native.LIBC.strerror(Native.errno())));
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
        }, "netns-" + name());
        t.start();
        t.join();
        Object o = result.get();
        if (o instanceof Exception) {
            throw (Exception) o;
        }
        host.setUp(ifName, 0);
        return (Tap) o;
    }

    /** Runs a command inside the namespace; throws if it fails. */
    public String run(String... cmd) throws IOException {
        return host.run(cmd);
    }

    /** Starts a command inside the namespace without waiting. */
    public Process start(String... cmd) throws IOException {
        return host.start(cmd);
    }

    @Override
    public void close() throws IOException {
        host.close();
    }
}
