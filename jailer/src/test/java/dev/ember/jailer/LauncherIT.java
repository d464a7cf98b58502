package dev.ember.jailer;

import dev.ember.it.Host;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.it.NeedsKvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** bin/ember-launch end to end: TAP, netns, jail, cgroup, API configuration, InstanceStart, GET /, --stop. */
class LauncherIT {
    /** Guards a wait for the VMM to open a file only; never a timing assertion. */
    private static final Duration OPEN_WAIT = Duration.ofSeconds(60);
    private static final Path TUN = Path.of("/dev/net/tun");
    private Path base;
    private String id;
    private String tap;
    private String netns;
    private String parentCgroup;

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(JailHarness.isRoot(), "ember-launch needs root");
        base = Files.createTempDirectory("ember-launch-it");
        String tag = UUID.randomUUID().toString().substring(0, 6);
        id = "launch-" + tag;
        tap = "tap-" + tag;
        netns = "ns-" + tag;
        parentCgroup = (ownMemoryCgroup() + "/ember-launch-it").replaceAll("^/+", "");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (base != null) {
            run(List.of("--stop", id, "--chroot-base-dir", base.toString()));   // idempotent
            JailHarness.deleteTree(base);
            Path parent = Path.of("/sys/fs/cgroup/memory", parentCgroup);
            if (Files.isDirectory(parent)) {
                try {
                    Files.delete(parent);
                } catch (IOException e) {
                    // another test's VM still has a cgroup below it
                }
            }
        }
    }

    private static String ownMemoryCgroup() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/cgroup")).stream().map(l -> l.split(":", 3))
                .filter(f -> List.of(f[1].split(",")).contains("memory")).map(f -> f[2]).findFirst().orElse("/");
    }

    private static Path execFile() {
        String p = System.getProperty("ember.launch.exec");
        return p != null ? Path.of(p) : JailHarness.productionExec();
    }

    /** The VMM of this build serves the API (the API server classes are in the runtime image). */
    private static boolean vmmHasApi() throws IOException {
        Path app = execFile().getParent().getParent().resolve("app");
        try (var jars = Files.list(app)) {
            for (Path jar : (Iterable<Path>) jars::iterator) {
                if (jar.getFileName().toString().startsWith("api-server")) {
                    try (ZipFile z = new ZipFile(jar.toFile())) {
                        return z.getEntry("dev/ember/api/ApiServer.class") != null;
                    }
                }
            }
        }
        return false;
    }

    private static String[] run(List<String> args) throws IOException, InterruptedException {
        return run(List.of(), args);
    }

    /** bin/ember-launch ARGS, after {@code shell} (e.g. "sh", "-c", "umask 000; exec \"$0\" \"$@\""). */
    private static String[] run(List<String> shell, List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(shell);
        cmd.add(JailHarness.repo().resolve("bin/ember-launch").toString());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).directory(JailHarness.repo().toFile()).start();
        // stdout and stderr apart: stdout carries the id/pid/socket lines
        String[] err = new String[1];
        Thread t = new Thread(() -> {
            try {
                err[0] = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                err[0] = e.toString();
            }
        });
        t.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "ember-launch did not end");
        t.join();
        return new String[] {Integer.toString(p.exitValue()), out, err[0]};
    }

    private Path config(String kernel) throws IOException {
        Path ro = Files.write(base.resolve("ro.img"), new byte[1 << 20]);
        Path rw = Files.write(base.resolve("rw.img"), new byte[1 << 20]);
        String json = "{\"boot-source\": {\"kernel_image_path\": \"" + kernel + "\", \"boot_args\": \"console=ttyS0 ember.test=idle\"},"
                + " \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 128},"
                + " \"drives\": [{\"drive_id\": \"ro\", \"path_on_host\": \"" + ro + "\", \"is_root_device\": false, \"is_read_only\": true},"
                + "              {\"drive_id\": \"rw\", \"path_on_host\": \"" + rw + "\", \"is_root_device\": false, \"is_read_only\": false}],"
                + " \"network-interfaces\": [{\"iface_id\": \"eth0\", \"host_dev_name\": \"" + tap + "\"}]}";
        return Files.writeString(base.resolve("vm.json"), json);
    }

    private List<String> startArgs(Path config) {
        return new ArrayList<>(List.of("--config-file", config.toString(), "--id", id, "--chroot-base-dir", base.toString(),
                "--exec-file", execFile().toString(), "--tap", tap, "--tap-ip", "172.31.254.1/30", "--netns", netns,
                "--cgroup-version", "1", "--parent-cgroup", parentCgroup, "--cgroup", "memory.limit_in_bytes=536870912"));
    }

    private static boolean linkExists(String ns, String dev) throws Exception {
        return new ProcessBuilder("ip", "-n", ns, "link", "show", dev).start().waitFor() == 0;
    }

    private static boolean netnsExists(String ns) {
        return Files.exists(Path.of("/var/run/netns", ns));
    }

    @Test
    @NeedsKvm
    void startQueryAndStopLeaveNothingBehind() throws Exception {
        assumeAVmCanRun();
        // On the jail's file system, so that it is hard-linked (shared, read-only) rather than copied
        // for the VM alone, whatever file system the repository is on (in L1 a read-only 9p one).
        Path kernel = Files.copy(JailHarness.repo().resolve("guest-images/out/testguest.elf"), base.resolve("testguest.elf"));
        String[] r = run(startArgs(config(kernel.toString())));
        assertEquals("0", r[0], r[2]);
        Map<String, String> printed = new HashMap<>();
        for (String line : r[1].split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                printed.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        assertEquals(id, printed.get("id"), r[1]);
        long pid = Long.parseLong(printed.get("pid"));
        Path jailRoot = base.resolve("ember").resolve(id).resolve("root");
        assertEquals(jailRoot.resolve("run/ember.socket").toString(), printed.get("socket"));

        Process curl = new ProcessBuilder("curl", "-sS", "--unix-socket", printed.get("socket"), "http://localhost/").start();
        String info = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, curl.waitFor());
        assertTrue(info.contains("\"id\":\"" + id + "\""), info);
        assertTrue(info.contains("\"state\":\"Running\""), info);

        String status = Files.readString(Path.of("/proc/" + pid + "/status"));
        assertTrue(status.contains("Seccomp:\t2"), status);
        assertTrue(status.contains("NoNewPrivs:\t1"), status);
        // A uid of its own (the jailer's fresh one, which owns the jail root), PID 1 of its own namespace.
        int uid = (Integer) Files.getAttribute(jailRoot, "unix:uid");
        assertTrue(uid >= UidRange.DEFAULT.first() && uid <= UidRange.DEFAULT.last(), "uid " + uid);
        assertTrue(status.contains("Uid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid), status);
        assertTrue(status.contains("NSpid:\t" + pid + "\t1\n"), status);
        assertTrue(status.contains("CapBnd:\t0000000000000000"), status);
        assertTrue(Files.isSameFile(Path.of("/proc/" + pid + "/root"), jailRoot));
        assertTrue(linkExists(netns, tap));
        Path cgroup = Path.of("/sys/fs/cgroup/memory", parentCgroup, id);
        assertTrue(Files.readString(Path.of("/proc/" + pid + "/cgroup")).contains(":memory:/" + parentCgroup + "/" + id));
        assertEquals(0, Files.getAttribute(jailRoot.resolve("kernel"), "unix:uid"), "the kernel is shared read-only, not given away");
        // The writable drive went to the VM's user (a hard link: the same file); the read-only one is still root's.
        assertEquals(uid, Files.getAttribute(jailRoot.resolve("drive-rw"), "unix:uid"));
        assertTrue(Files.isSameFile(jailRoot.resolve("drive-rw"), base.resolve("rw.img")));
        assertEquals(0, Files.getAttribute(jailRoot.resolve("drive-ro"), "unix:uid"));
        // Both drives and the TAP are open in the VMM (its fds are those files).
        assertTrue(awaitOpen(pid, jailRoot.resolve("drive-ro"), jailRoot.resolve("drive-rw"), TUN), openFiles(pid).toString());

        String[] s = run(List.of("--stop", id, "--chroot-base-dir", base.toString()));
        assertEquals("0", s[0], s[2]);
        assertEquals("stopped " + id, s[1].trim());
        assertFalse(Files.exists(Path.of("/proc/" + pid)), "the VMM still runs");
        assertFalse(Files.exists(base.resolve("ember").resolve(id)), "jail left behind");
        assertFalse(Files.exists(cgroup), "cgroup left behind");
        assertFalse(netnsExists(netns), "network namespace left behind");
        assertTrue(Files.exists(kernel), "the launcher removed the original kernel");
        assertTrue(Files.exists(base.resolve("rw.img")), "the launcher removed the original drive image");
        assertEquals(0, Files.getAttribute(base.resolve("rw.img"), "unix:uid"), "the drive image was not given back at --stop");
        assertEquals(0, Files.getAttribute(base.resolve("rw.img"), "unix:gid"));

        String[] again = run(List.of("--stop", id, "--chroot-base-dir", base.toString()));
        assertEquals("0", again[0]);
        assertTrue(again[2].contains("nothing to stop for " + id), again[2]);
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    /** Issue 11: under umask 000 the jail used to be world-writable, its socket and launch.state too. */
    @Test
    @NeedsKvm
    void underUmask000NothingIsOpenToOthers() throws Exception {
        assumeAVmCanRun();
        Path kernel = JailHarness.repo().resolve("guest-images/out/testguest.elf");
        Path rw = Files.write(base.resolve("rw.img"), new byte[1 << 20]);
        // Owned by someone else than root, with its own mode: --stop must give it back exactly.
        Files.setAttribute(rw, "unix:uid", 4242);
        Files.setAttribute(rw, "unix:gid", 4343);
        Files.setAttribute(rw, "unix:mode", 0640);
        int rwMode = mode(rw);
        Path cfg = Files.writeString(base.resolve("min.json"), "{\"boot-source\": {\"kernel_image_path\": \"" + kernel
                + "\", \"boot_args\": \"console=ttyS0 ember.test=idle\"}, \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 128},"
                + " \"drives\": [{\"drive_id\": \"rw\", \"path_on_host\": \"" + rw + "\", \"is_root_device\": false, \"is_read_only\": false}]}");
        String[] r = run(List.of("sh", "-c", "umask 000; exec \"$0\" \"$@\""),
                List.of("--config", cfg.toString(), "--id", id, "--chroot-base-dir", base.toString(), "--exec-file", execFile().toString()));
        assertEquals("0", r[0], r[2]);
        Path jail = base.resolve("ember").resolve(id);
        Path root = jail.resolve("root");
        assertEquals(0755, mode(base.resolve("ember")));
        assertEquals(0700, mode(jail));
        assertEquals(0600, mode(jail.resolve("launch.state")));
        assertEquals(0700, mode(root));
        assertEquals(0700, mode(root.resolve("run")));
        assertEquals(0644, mode(root.resolve("firecracker.pid")));
        for (Path p : new Path[] {root.resolve("run/ember.socket"), root.resolve("ember.log")}) {
            assertEquals(0, mode(p) & 077, p + " is open to others: " + Integer.toOctalString(mode(p)));
        }
        // The VM's drive is its uid's while it runs, then its owner's again, with its mode.
        assertEquals(Files.getAttribute(root, "unix:uid"), Files.getAttribute(rw, "unix:uid"));
        String[] s = run(List.of("--stop", id, "--chroot-base-dir", base.toString()));
        assertEquals("stopped " + id, s[1].trim(), s[2]);
        assertEquals(4242, Files.getAttribute(rw, "unix:uid"));
        assertEquals(4343, Files.getAttribute(rw, "unix:gid"));
        assertEquals(0640, rwMode);
        assertEquals(rwMode, mode(rw));
    }

    /**
     * The config file is read by one jq (each jq start costs ~15 ms of CPU compiling its builtins;
     * ember-launch used to run a dozen, most before the jailer): counted through a jq on PATH that
     * logs each run. Paths with spaces and quotes reach the jail and the API intact.
     */
    @Test
    @NeedsKvm
    void oneJqReadsTheConfigAndOddPathsSurvive() throws Exception {
        assumeAVmCanRun();
        Path bin = Files.createDirectories(base.resolve("bin"));
        Path runs = base.resolve("jq-runs");
        Path jq = Files.writeString(bin.resolve("jq"), "#!/bin/sh\necho run >> '" + runs + "'\nexec /usr/bin/jq \"$@\"\n");
        Files.setPosixFilePermissions(jq, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path kernel = Files.copy(JailHarness.repo().resolve("guest-images/out/testguest.elf"), base.resolve("test guest's \"kernel\".elf"));
        Path ro = Files.write(base.resolve("ro 'disk'.img"), new byte[1 << 20]);
        Path cfg = Files.writeString(base.resolve("odd.json"), "{\"boot-source\": {\"kernel_image_path\": \""
                + kernel.toString().replace("\"", "\\\"") + "\", \"boot_args\": \"console=ttyS0 ember.test=idle\"},"
                + " \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 128},"
                + " \"drives\": [{\"drive_id\": \"ro\", \"path_on_host\": \"" + ro + "\", \"is_root_device\": false, \"is_read_only\": true}]}");
        String[] r = run(List.of("sh", "-c", "PATH=\"" + bin + ":$PATH\" exec \"$0\" \"$@\""),
                List.of("--config", cfg.toString(), "--id", id, "--chroot-base-dir", base.toString(), "--exec-file", execFile().toString()));
        assertEquals("0", r[0], r[2]);
        assertEquals(1, Files.readAllLines(runs).size(), "jq runs");
        Path root = base.resolve("ember").resolve(id).resolve("root");
        assertEquals(Files.size(kernel), Files.size(root.resolve("kernel")));
        assertTrue(awaitOpen(printedPid(r[1]), root.resolve("drive-ro")), "the VMM opened the drive: " + openFiles(printedPid(r[1])));
        assertStops();
    }

    @Test
    void drivesThatAreNoListAreNamed() throws Exception {
        Path cfg = Files.writeString(base.resolve("bad.json"), "{\"boot-source\": {\"kernel_image_path\": \"/k\"}, \"drives\": {}}");
        String[] r = run(List.of("--config", cfg.toString(), "--id", id, "--chroot-base-dir", base.toString()));
        assertEquals("1", r[0], r[2]);
        assertTrue(r[2].contains("--config-file " + cfg + ": drives and network-interfaces must be lists"), r[2]);
        assertFalse(Files.exists(base.resolve("ember").resolve(id)), "jail made for a refused config");
    }

    private static void assumeAVmCanRun() throws IOException {
        assumeTrue(Host.hasKvm(), Host::noKvmReason);
        assumeTrue(vmmHasApi(), "the VMM in " + execFile() + " has no API server yet");
    }

    private void assertStops() throws Exception {
        assertEquals("stopped " + id, run(List.of("--stop", id, "--chroot-base-dir", base.toString()))[1].trim());
    }

    /**
     * Whether the VMM has all of {@code files} open, waiting up to {@link #OPEN_WAIT} for it (a
     * bound only), compared as files ({@link JailHarness#fileKey}), not by path.
     */
    private static boolean awaitOpen(long pid, Path... files) throws IOException, InterruptedException {
        Set<String> wanted = new HashSet<>();
        for (Path f : files) {
            wanted.add(JailHarness.fileKey(f));
        }
        long deadline = System.nanoTime() + OPEN_WAIT.toNanos();
        while (!JailHarness.openFileKeys(pid).containsAll(wanted)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    /** What the process's fds point at, as paths: for messages (see {@link #awaitOpen}). */
    private static List<String> openFiles(long pid) throws IOException {
        List<String> fds = new ArrayList<>();
        try (var list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : (Iterable<Path>) list::iterator) {
                try {
                    fds.add(Files.readSymbolicLink(fd).toString());
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        return fds;
    }

    private static long printedPid(String stdout) {
        return Long.parseLong(stdout.lines().filter(l -> l.startsWith("pid=")).findFirst().orElseThrow().substring(4));
    }

    /** The start command of --help's example, as arguments after "bin/ember-launch". */
    private static List<String> helpExample() throws Exception {
        String[] help = run(List.of("--help"));
        String example = help[1].replace("\\\n", " ").lines().map(String::trim)
                .filter(l -> l.startsWith("sudo bin/ember-launch --config-file")).findFirst()
                .orElseThrow(() -> new AssertionError("no start example in --help:\n" + help[1]));
        List<String> args = new ArrayList<>(List.of(example.split("\\s+")));
        return args.subList(2, args.size());
    }

    @Test
    @NeedsKvm
    void theHelpExampleStartsAVmOnItsTap() throws Exception {
        assumeAVmCanRun();
        List<String> args = helpExample();
        int tapAt = args.indexOf("--tap") + 1;
        assertTrue(tapAt > 0, "the example creates a TAP: " + args);
        String exampleTap = args.get(tapAt);
        // In a network namespace of its own, so the example's fixed TAP name collides with nothing.
        args.addAll(List.of("--id", id, "--chroot-base-dir", base.toString(), "--exec-file", execFile().toString(),
                "--netns", netns, "--parent-cgroup", parentCgroup));
        String[] r = run(args);
        assertEquals("0", r[0], r[2]);
        assertFalse(r[2].contains("warning"), r[2]);
        assertTrue(linkExists(netns, exampleTap));
        assertTrue(awaitOpen(printedPid(r[1]), TUN), "the VMM opened the TAP: " + openFiles(printedPid(r[1])));
        assertStops();
    }

    @Test
    @NeedsKvm
    void aTapNoInterfaceNamesIsWarnedAbout() throws Exception {
        assumeAVmCanRun();
        String[] r = run(List.of("--config-file", "docs/examples/idle.json", "--tap", tap, "--id", id,
                "--chroot-base-dir", base.toString(), "--exec-file", execFile().toString(), "--netns", netns,
                "--parent-cgroup", parentCgroup));
        assertEquals("0", r[0], r[2]);
        assertTrue(r[2].contains("ember-launch: warning: --tap " + tap + ": no network interface in docs/examples/idle.json"
                + " names it (host_dev_name)"), r[2]);
        assertFalse(JailHarness.openFileKeys(printedPid(r[1])).contains(JailHarness.fileKey(TUN)), "nothing to connect");
        assertStops();
    }

    @Test
    @NeedsKvm
    void withANewPidNamespaceTheVmmIsItsPid1AndStopStillFindsIt() throws Exception {
        assumeAVmCanRun();
        Path kernel = JailHarness.repo().resolve("guest-images/out/testguest.elf");
        Path cfg = Files.writeString(base.resolve("min.json"), "{\"boot-source\": {\"kernel_image_path\": \"" + kernel
                + "\", \"boot_args\": \"console=ttyS0 ember.test=idle\"}, \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 128}}");
        String[] r = run(List.of("--config", cfg.toString(), "--id", id, "--chroot-base-dir", base.toString(), "--exec-file", execFile().toString(),
                "--new-pid-ns"));
        assertEquals("0", r[0], r[2]);
        long pid = Long.parseLong(r[1].lines().filter(l -> l.startsWith("pid=")).findFirst().orElseThrow().substring(4));
        String nspid = Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("NSpid:")).findFirst().orElseThrow();
        assertEquals("NSpid:\t" + pid + "\t1", nspid);
        Process curl = new ProcessBuilder("curl", "-sS", "--unix-socket", base.resolve("ember").resolve(id).resolve("root/run/ember.socket").toString(),
                "http://localhost/").start();
        assertTrue(new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8).contains("\"state\":\"Running\""));
        curl.waitFor();
        String[] s = run(List.of("--stop", id, "--chroot-base-dir", base.toString()));
        assertEquals("stopped " + id, s[1].trim(), s[2]);
        assertFalse(Files.exists(Path.of("/proc/" + pid)), "the VMM still runs");
        assertFalse(Files.exists(base.resolve("ember").resolve(id)), "jail left behind");
    }

    @Test
    void aFailedStartIsUndoneAndSaysWhy() throws Exception {
        String[] r = run(startArgs(config(base.resolve("no-such-kernel").toString())));
        assertEquals("1", r[0], r[2]);
        assertTrue(r[2].contains(base.resolve("no-such-kernel") + " (in " + base.resolve("vm.json") + "): no such file"), r[2]);
        assertFalse(Files.exists(base.resolve("ember").resolve(id)), "jail left behind");
        assertFalse(netnsExists(netns), "network namespace left behind");
    }

    @Test
    void badArgumentsAreNamed() throws Exception {
        String[] r = run(List.of("--config-file", "/nonexistent.json"));
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("--config-file /nonexistent.json: no such readable file"), r[2]);
        r = run(List.of("--stop", "bad/id"));
        assertTrue(r[2].contains("--stop bad/id: not a VM id"), r[2]);
        r = run(List.of("--frobnicate"));
        assertTrue(r[2].contains("unknown option '--frobnicate'"), r[2]);
        r = run(List.of("--help"));
        assertEquals("0", r[0]);
        assertTrue(r[1].startsWith("Usage: ember-launch"), r[1]);
    }
}
