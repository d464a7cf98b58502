package dev.ember.jailer;

import dev.ember.it.Host;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.it.NeedsKvm;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Plays an orchestrator's side of a jailed microVM the way Kata Containers' Firecracker driver
 * does it (issue 18): the jail root bind-mounted onto itself as a shared mount, a config file, a
 * placeholder drive and mode-0 FIFOs for the logger and metrics in the jail root, the jailer
 * with {@code --uid 0 --gid 0} and no {@code --api-sock}; then the API socket and PID file at
 * Firecracker's default names, the vCPU threads found by their {@code fc_vcpu} prefix, a block
 * device hot-plugged by a bind mount over the placeholder plus {@code PATCH /drives} (the guest
 * reads the new contents), and the VMM ending with its guest (SIGTERM: JailerIT).
 */
@NeedsKvm
class OrchestratorFlowIT {
    private static final Duration BOOT = Duration.ofSeconds(120);

    @RegisterExtension
    final JailHarness.HostTraces traces = JailHarness.HostTraces.inTempDirectory("ember-orchestrator-it");
    private final Path base = traces.base();
    private final String id = JailHarness.vmId("kata");

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(JailHarness.isRoot(), "the jailer needs root");
        assumeTrue(Host.hasKvm(), Host::noKvmReason);
    }

    private static int sh(String... cmd) throws IOException, InterruptedException {
        return JailHarness.sh(cmd);
    }

    private void bindMount(Path source, Path target) throws Exception {
        traces.bindMount(source, target);
    }

    /** Reads a FIFO from the host side, as Kata's log and metrics readers do, keeping what came. */
    private static StringBuffer drain(Path fifo) {
        StringBuffer got = new StringBuffer();
        Thread t = new Thread(() -> {
            try (InputStream in = Files.newInputStream(fifo)) {
                byte[] buf = new byte[4096];
                for (int n; (n = in.read(buf)) > 0; ) {
                    got.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                got.append("read failed: ").append(e);
            }
        }, "fifo-" + fifo.getFileName());
        t.setDaemon(true);
        t.start();
        return got;
    }

    /** Lines of the VM's serial console (the jailer's stdout) up to one matching {@code regex}; the VMM's log on failure. */
    private static String awaitLine(JailHarness.Jailed vm, StringBuilder seen, String regex, StringBuffer log) throws InterruptedException {
        while (true) {
            String l;
            try {
                l = vm.line(BOOT);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\n--- console ---\n" + seen + "--- VMM log (FIFO) ---\n" + log, e);
            }
            seen.append(l).append('\n');
            if (l.matches(regex)) {
                return l;
            }
        }
    }

    private static List<String> threadNames(long pid) throws IOException {
        List<String> names = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    names.add(Files.readString(t.resolve("comm")).trim());
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return names;
    }

    /** Kata runs {@code <path> --version} first and refuses a version it cannot parse or older than 0.21.1. */
    @Test
    void theLaunchersAnswerVersionAsKataParsesIt() throws Exception {
        // Also through a link named as Firecracker's binary, as an orchestrator's path may be.
        Path link = Files.createSymbolicLink(base.resolve("firecracker"), JailHarness.repo().resolve("bin/ember"));
        for (Path launcher : new Path[] {JailHarness.repo().resolve("bin/ember"), JailHarness.productionExec(), link}) {
            Process p = new ProcessBuilder(launcher.toString(), "--version").start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), launcher + ": " + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            String[] fields = out.split("\n")[0].split(" ");
            assertTrue(fields.length > 1, launcher + ": " + out);
            String[] semver = fields[1].trim().replaceFirst("^v", "").split("\\.");
            assertEquals(3, semver.length, launcher + ": " + out);
            int major = Integer.parseInt(semver[0]), minor = Integer.parseInt(semver[1]), patch = Integer.parseInt(semver[2]);
            assertTrue(major > 0 || minor > 21 || (minor == 21 && patch >= 1), launcher + ": " + out);
            assertTrue(out.matches("(?s).*Ember v\\d+\\.\\d+\\.\\d+.*"), launcher + " does not name Ember's own version: " + out);
        }
    }

    /**
     * The jail root as Kata prepares it before the jailer runs: bind-mounted onto itself as a
     * shared mount, holding the kernel, a config file for {@code scenario}, a one-sector
     * placeholder drive_0 (Kata's are empty; the swap scenario needs a sector to read first) and
     * mode-0 logger and metrics FIFOs.
     */
    private Path kataJail(String scenario) throws Exception {
        Path root = Files.createDirectories(base.resolve("ember").resolve(id).resolve("root"));
        bindMount(root, root);
        assertEquals(0, sh("mount", "--make-shared", root.toString()));
        JailHarness.provisionTestGuest(root, scenario);
        byte[] placeholder = new byte[512];
        Arrays.fill(placeholder, (byte) 0x11);
        Files.write(root.resolve("drive_0"), placeholder);
        for (String fifo : new String[] {"logs.fifo", "metrics.fifo"}) {
            assertEquals(0, sh("mkfifo", "-m", "0", root.resolve(fifo).toString()));
        }
        Files.writeString(root.resolve("fcConfig.json"), "{\"boot-source\": {\"kernel_image_path\": \"/testguest.elf\","
                + " \"boot_args\": \"console=ttyS0 ember.test=" + scenario + "\"},"
                + " \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 128, \"smt\": false},"
                + " \"drives\": [{\"drive_id\": \"drive_0\", \"path_on_host\": \"/drive_0\", \"is_root_device\": false, \"is_read_only\": false}],"
                + " \"logger\": {\"log_path\": \"/logs.fifo\", \"level\": \"Info\"},"
                + " \"metrics\": {\"metrics_path\": \"/metrics.fifo\"}}");
        return root;
    }

    /** Kata's jailer arguments; its hypervisor path, used for --version and as the exec file, is the repository's bin/ember. */
    private List<String> kataJailerArgs(String... extra) {
        List<String> args = new ArrayList<>(List.of("--id", id, "--exec-file", JailHarness.repo().resolve("bin/ember").toString(),
                "--uid", "0", "--gid", "0", "--chroot-base-dir", base.toString()));
        args.addAll(List.of(extra));
        return args;
    }

    /** A container image of 49 sectors, byte i = i * 7 + 3. */
    private Path containerImage() throws IOException {
        byte[] disk = new byte[49 * 512];
        for (int i = 0; i < disk.length; i++) {
            disk[i] = (byte) (i * 7 + 3);
        }
        return Files.write(base.resolve("container.img"), disk);
    }

    @Test
    void aJailedVmmServesAnOrchestratorAsFirecrackerWould() throws Exception {
        Path root = kataJail("virtio-blk-swap");
        StringBuffer log = drain(root.resolve("logs.fifo"));
        StringBuffer metrics = drain(root.resolve("metrics.fifo"));
        try (JailHarness.Jailed vm = JailHarness.startVmm(kataJailerArgs(), List.of("--config-file", "/fcConfig.json"))) {
            StringBuilder console = new StringBuilder();
            awaitLine(vm, console, "^EMBER-TEST: READY virtio-blk-swap$", log);
            assertTrue(console.toString().contains("virtio-blk-swap: before: capacity 1 sectors, sector 0 starts 1111111111111111\n"), console.toString());

            // Firecracker's default socket in the jail, and its PID file in the jail root.
            Path sock = root.resolve("run/firecracker.socket");
            String info = JailHarness.curl(sock, "GET", "/", null);
            assertTrue(info.startsWith("200 ") && info.contains("\"state\":\"Running\"") && info.contains("\"id\":\"" + id + "\""), info);
            long pid = Long.parseLong(Files.readString(root.resolve("firecracker.pid")).trim());
            assertEquals(Long.toString(pid), Files.readString(root.resolve("ember.pid")).trim(), "<exec-file name>.pid, as Firecracker's jailer names it");
            assertTrue(Files.isSameFile(Path.of("/proc/" + pid + "/root"), root), "firecracker.pid names the jailed VMM");
            assertEquals("ember-vmm", Files.readString(Path.of("/proc/" + pid + "/comm")).trim());
            assertEquals(pid + " 1", JailHarness.status(pid, "NSpid"), "the VMM is PID 1 of its own PID namespace");
            // Run as root, as Kata runs it, the VMM keeps CAP_DAC_OVERRIDE alone (for the mode-0 FIFOs below).
            assertEquals("0000000000000002", JailHarness.status(pid, "CapBnd"));
            assertEquals("0000000000000002", JailHarness.status(pid, "CapEff"));
            // Kata counts vCPUs and moves them into the sandbox's cgroup by this name.
            assertTrue(threadNames(pid).contains("fc_vcpu 0"), threadNames(pid).toString());

            // The logger and metrics FIFOs, mode 0 as Kata makes them, carry the VMM's output.
            String flushed = JailHarness.curl(sock, "PUT", "/actions", "{\"action_type\": \"FlushMetrics\"}");
            assertTrue(flushed.startsWith("204"), flushed);
            for (int i = 0; i < 100 && (metrics.indexOf("\"block\"") < 0 || log.length() == 0); i++) {
                Thread.sleep(100);
            }
            assertTrue(metrics.indexOf("\"block\"") >= 0, "metrics: " + metrics);
            assertTrue(log.length() > 0, "nothing logged to the FIFO");

            // Hot-plug: the container's disk is bind-mounted over the placeholder after start, then PATCHed under the same path.
            Path image = containerImage();
            byte[] disk = Files.readAllBytes(image);
            bindMount(image, root.resolve("drive_0"));
            String patched = JailHarness.curl(sock, "PATCH", "/drives/drive_0", "{\"drive_id\": \"drive_0\", \"path_on_host\": \"/drive_0\"}");
            assertTrue(patched.startsWith("204"), patched);
            awaitLine(vm, console, "^EMBER-TEST: (PASS|FAIL).*", log);
            long sum = 0;
            for (byte b : disk) {
                sum += b & 0xff;
            }
            assertTrue(console.toString().contains("virtio-blk-swap: after: capacity 49 sectors, sector 0 starts 030a11181f262d34"), console.toString());
            assertTrue(console.toString().contains("virtio-blk-swap: read 49 sectors in 7 requests, byte sum " + sum + "\n"), console.toString());
            assertTrue(console.toString().contains("EMBER-TEST: PASS virtio-blk-swap"), console.toString());

            // The guest has ended, and with it the VMM (started from a config file, it exits with the guest).
            assertTrue(vm.process.waitFor(30, TimeUnit.SECONDS), "the VMM did not end with its guest");
            assertEquals(0, vm.process.exitValue(), vm.stderr.toString());
            assertTrue(ProcessHandle.of(pid).isEmpty(), "the VMM still runs");
        }
    }

    /**
     * As Kata starts it: {@code --daemonize}, so the jailer (the process Kata started) is gone once
     * the VMM runs, and Kata finds the VMM through firecracker.pid, hot-plugs through the socket
     * and stops it with SIGTERM to that PID.
     */
    @Test
    void daemonizedTheJailerLeavesAndThePidFileNamesTheVmm() throws Exception {
        Path root = kataJail("idle");
        drain(root.resolve("logs.fifo"));
        drain(root.resolve("metrics.fifo"));
        String[] r = JailHarness.runToEnd(kataJailerArgs("--daemonize", "--", "--config-file", "/fcConfig.json"));
        assertEquals("0", r[0], r[1]);
        long pid = Long.parseLong(Files.readString(root.resolve("firecracker.pid")).trim());
        ProcessHandle vmm = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("firecracker.pid names no process"));
        try {
            assertEquals(pid + " 1", JailHarness.status(pid, "NSpid"));
            assertTrue(Files.isSameFile(Path.of("/proc/" + pid + "/root"), root));
            Path sock = root.resolve("run/firecracker.socket");
            String info = "";
            for (int i = 0; i < 600 && !info.contains("\"state\":\"Running\""); i++) {
                Thread.sleep(100);
                info = JailHarness.curl(sock, "GET", "/", null);
            }
            assertTrue(info.contains("\"state\":\"Running\""), info);
            assertTrue(threadNames(pid).contains("fc_vcpu 0"), threadNames(pid).toString());

            // The hot-plugged disk is what the VMM has open under /drive_0 after the PATCH.
            Path image = containerImage();
            bindMount(image, root.resolve("drive_0"));
            String patched = JailHarness.curl(sock, "PATCH", "/drives/drive_0", "{\"drive_id\": \"drive_0\", \"path_on_host\": \"/drive_0\"}");
            assertTrue(patched.startsWith("204"), patched);
            String want = JailHarness.fileKey(image);
            // Compared as files, not by the path a descriptor reads as from outside the jail (which
            // depends on how this side's root was made: in the nested tier's L1 it carries a prefix).
            assertTrue(JailHarness.openFileKeys(pid).contains(want), "the VMM has not opened the bind-mounted image " + want + ": " + JailHarness.openFileKeys(pid));

            assertEquals(0, sh("kill", "-TERM", Long.toString(pid)));
            vmm.onExit().get(30, TimeUnit.SECONDS);
        } finally {
            vmm.destroyForcibly();
        }
    }
}
