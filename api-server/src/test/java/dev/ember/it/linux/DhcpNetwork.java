package dev.ember.it.linux;

import dev.ember.testing.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A private network namespace holding one TAP device, with dnsmasq answering DHCP on it: the
 * guest's network for one test, isolated from the host's and from other tests'. Ember runs
 * inside the namespace ({@link #wrapper()}) so it finds the TAP by name.
 */
final class DhcpNetwork implements AutoCloseable {
    static final String TAP = "ember-tap0";
    static final String HOST_IP = "172.30.91.1";
    static final String GUEST_IP = "172.30.91.2";
    static final String GUEST_MAC = "06:00:ac:1e:5b:02";

    final String namespace;
    final Path dnsmasqLog;
    private final Process dnsmasq;

    private DhcpNetwork(String namespace, Path dnsmasqLog, Process dnsmasq) {
        this.namespace = namespace;
        this.dnsmasqLog = dnsmasqLog;
        this.dnsmasq = dnsmasq;
    }

    /** Why this host cannot build the network, or null if it can. */
    static String unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "network namespaces and TAP devices need root";
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            return "no /dev/net/tun on this host";
        }
        if (!Files.isExecutable(Path.of("/usr/sbin/dnsmasq"))) {
            return "dnsmasq is not installed (guest-images/build installs dnsmasq-base)";
        }
        return null;
    }

    static DhcpNetwork start(Path dir) throws IOException, InterruptedException {
        String ns = "ember-it-" + ProcessHandle.current().pid() + "-" + ThreadLocalRandom.current().nextInt(1 << 20);
        run("ip", "netns", "add", ns);
        try {
            run("ip", "-n", ns, "link", "set", "lo", "up");
            run("ip", "-n", ns, "tuntap", "add", "dev", TAP, "mode", "tap");
            run("ip", "-n", ns, "addr", "add", HOST_IP + "/24", "dev", TAP);
            run("ip", "-n", ns, "link", "set", TAP, "up");
            Path log = dir.resolve("dnsmasq.log");
            Process p = new ProcessBuilder("ip", "netns", "exec", ns, "/usr/sbin/dnsmasq", "--keep-in-foreground",
                    "--conf-file=/dev/null", "--port=0", "--interface=" + TAP, "--bind-interfaces",
                    "--dhcp-range=" + GUEST_IP + "," + GUEST_IP + ",255.255.255.0,1h",
                    "--dhcp-host=" + GUEST_MAC + "," + GUEST_IP, "--dhcp-leasefile=" + dir.resolve("leases"),
                    "--pid-file=", "--log-dhcp", "--log-facility=-")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            return new DhcpNetwork(ns, log, p);
        } catch (IOException | RuntimeException | InterruptedException e) {
            HostCommand.run(Duration.ofSeconds(30), "ip", "netns", "del", ns);
            throw e;
        }
    }

    /** The command prefix that runs a program inside the namespace. */
    List<String> wrapper() {
        return List.of("ip", "netns", "exec", namespace);
    }

    /**
     * Sends ICMP echo requests from the host side to {@code ip} for up to 90 s; true once the
     * matching reply arrives. A raw socket in Python, so no ping binary is needed on the host.
     */
    boolean hostPings(String ip) throws IOException, InterruptedException {
        return HostCommand.run(Duration.ofSeconds(120), "ip", "netns", "exec", namespace, "python3", "-c", PING, ip).ok();
    }

    private static final String PING = String.join("\n",
            "import socket, struct, sys, time",
            "def csum(b):",
            "    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))",
            "    s = (s >> 16) + (s & 0xffff)",
            "    s += s >> 16",
            "    return ~s & 0xffff",
            "s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)",
            "s.settimeout(2)",
            "pkt = struct.pack('!BBHHH', 8, 0, 0, 0x4242, 1) + b'ember-ping'",
            "pkt = pkt[:2] + struct.pack('!H', csum(pkt)) + pkt[4:]",
            "end = time.time() + 90",
            "while time.time() < end:",
            "    s.sendto(pkt, (sys.argv[1], 0))",
            "    try:",
            "        r, a = s.recvfrom(1500)",
            "    except socket.timeout:",
            "        continue",
            "    icmp = r[(r[0] & 15) * 4:]",
            "    if a[0] == sys.argv[1] and icmp[0] == 0 and icmp[4:6] == b'\\x42\\x42':",
            "        sys.exit(0)",
            "sys.exit(1)");

    String dnsmasqOutput() throws IOException {
        return Files.readString(dnsmasqLog);
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        HostCommand.runChecked(Duration.ofSeconds(30), List.of(cmd));
    }

    @Override
    public void close() throws IOException, InterruptedException {
        dnsmasq.destroy();
        dnsmasq.waitFor(10, TimeUnit.SECONDS);
        run("ip", "netns", "del", namespace);
    }
}
