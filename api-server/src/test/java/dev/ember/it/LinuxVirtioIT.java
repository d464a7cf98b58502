package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Linux's own virtio drivers against Ember's devices (slow: {@code -Dember.slow=true}). On PVM
 * Linux user space cannot run, so the checks are kernel-side milestones: an ext4 root mounted
 * from virtio-blk (and the guest's superblock write visible in the host file), and in-kernel
 * DHCP over virtio-net answered by dnsmasq on the TAP, then a ping the guest kernel answers.
 */
class LinuxVirtioIT {
    private static final Duration MILESTONE = Duration.ofSeconds(300);
    private static final String PVM_ARGS = "console=ttyS0 reboot=k panic=1 nopv noxsave clearcpuid=smap,smep,popcnt,rdrand,rdseed,fsgsbase";
    private static Map<String, String> images;

    @TempDir
    Path dir;

    @BeforeAll
    static void images() throws Exception {
        assumeTrue(Host.slowTestsEnabled(), "Linux boot tests run with -Dember.slow=true");
        assumeTrue(Host.hasKvm(), "no usable /dev/kvm on this host");
        Process p = new ProcessBuilder(EmberProcess.repo().resolve("guest-images/build").toString(), "pvm-kernel", "rootfs")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean ok = p.waitFor(900, TimeUnit.SECONDS) && p.exitValue() == 0;
        assumeTrue(ok, "guest-images/build pvm-kernel rootfs failed");
        images = new HashMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                images.put(line.substring(0, eq), line.substring(eq + 1).trim());
            }
        }
    }

    private Path config(String bootArgs, String sections) throws IOException {
        String json = "{\n"
                + "  \"boot-source\": { \"kernel_image_path\": \"" + images.get("PVM_VMLINUX") + "\", \"boot_args\": \"" + bootArgs + "\" },\n"
                + "  \"machine-config\": { \"vcpu_count\": 1, \"mem_size_mib\": 128 },\n"
                + sections + "\n}\n";
        Path f = dir.resolve("linux.json");
        Files.writeString(f, json);
        return f;
    }

    /** ext4 superblock s_mnt_count (u16 at byte 1024 + 0x34). */
    private static int mountCount(Path image) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "r")) {
            f.seek(1024 + 0x34);
            return f.readUnsignedByte() | (f.readUnsignedByte() << 8);
        }
    }

    @Test
    void ext4RootIsMountedFromVirtioBlk() throws Exception {
        Path root = dir.resolve("rootfs.ext4");
        Files.copy(Path.of(images.get("ROOTFS")), root);
        int before = mountCount(root);
        Path cfg = config(PVM_ARGS, "  \"drives\": [ { \"drive_id\": \"rootfs\", \"path_on_host\": \"" + root
                + "\", \"is_root_device\": true, \"is_read_only\": false, \"cache_type\": \"Writeback\" } ]");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            vm.awaitStdout("virtio_blk virtio0: \\[vda\\] 65536 512-byte logical blocks", MILESTONE);
            vm.awaitStdout("EXT4-fs \\(vda\\): mounted filesystem", MILESTONE);
            vm.awaitStdout("VFS: Mounted root \\(ext4 filesystem\\)", MILESTONE);
            vm.awaitStdout("Run /sbin/init as init process", MILESTONE);
            // On PVM the first system call ends the VM; elsewhere init reboots it. Either way it ends.
            if (!vm.awaitExitQuietly(Duration.ofSeconds(180))) {
                vm.terminate();
                vm.awaitExit(Duration.ofSeconds(30));
            }
        }
        assertEquals(before + 1, mountCount(root), "the guest's superblock update reached the image file");
    }

    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    /** One ICMP echo request, exit 0 when the matching reply arrives (no ping binary needed). */
    private static final String PING = String.join("\n",
            "import socket, struct, sys, time",
            "def csum(b):",
            "    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))",
            "    s = (s >> 16) + (s & 0xffff); s += s >> 16",
            "    return ~s & 0xffff",
            "s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)",
            "s.settimeout(2)",
            "body = b'ember-ping'",
            "pkt = struct.pack('!BBHHH', 8, 0, 0, 0x4242, 1) + body",
            "pkt = pkt[:2] + struct.pack('!H', csum(pkt)) + pkt[4:]",
            "end = time.time() + 20",
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

    private static int run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    private static List<String> in(String ns, String... cmd) {
        List<String> l = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        l.addAll(List.of(cmd));
        return l;
    }

    @Test
    void kernelGetsADhcpAnswerOverVirtioNetAndAnswersPing() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "no /dev/net/tun on this host");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/dnsmasq")), "dnsmasq is not installed (apt-get install dnsmasq-base)");
        String ns = "emberlx" + ProcessHandle.current().pid();
        assumeTrue(run(List.of("ip", "netns", "add", ns)) == 0, "cannot create a network namespace (needs root)");
        Process dhcp = null;
        try {
            String tap = "lxtap0";
            assertEquals(0, run(in(ns, "ip", "tuntap", "add", "dev", tap, "mode", "tap")));
            assertEquals(0, run(in(ns, "ip", "addr", "add", "10.203.0.1/24", "dev", tap)));
            assertEquals(0, run(in(ns, "ip", "link", "set", tap, "up")));
            dhcp = new ProcessBuilder(in(ns, "/usr/sbin/dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0",
                    "--interface=" + tap, "--bind-interfaces", "--dhcp-range=10.203.0.2,10.203.0.2,1h",
                    "--dhcp-leasefile=" + dir.resolve("leases"))).redirectErrorStream(true).start();
            // No root device is given, so without rootwait the kernel panics (panic=1 reboots) right after
            // IP-Config and a ping under load races that reboot; waiting for a root that never comes
            // keeps the network stack running for the ping.
            Path cfg = config(PVM_ARGS + " ip=dhcp root=/dev/vdz rootwait", "  \"network-interfaces\": [ { \"iface_id\": \"eth0\", \"host_dev_name\": \""
                    + tap + "\", \"guest_mac\": \"06:00:AC:10:00:02\" } ]");
            try (EmberProcess vm = EmberProcess.startVia(List.of("ip", "netns", "exec", ns), "--no-api", "--config-file",
                    cfg.toString())) {
                vm.awaitStdout("IP-Config: Got DHCP answer from 10\\.203\\.0\\.1, my address is 10\\.203\\.0\\.2", MILESTONE);
                // The guest kernel's network stack answers ICMP by itself, no user space needed.
                assertEquals(0, run(in(ns, PYTHON, "-c", PING, "10.203.0.2")), "ICMP echo to the guest\n" + vm.describe());
                vm.terminate();
                vm.awaitExit(Duration.ofSeconds(30));
            }
        } finally {
            if (dhcp != null) {
                dhcp.destroy();
            }
            run(List.of("ip", "netns", "del", ns));
        }
    }
}
