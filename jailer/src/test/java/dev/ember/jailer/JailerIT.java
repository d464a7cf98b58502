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
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The jailer end to end as root: bin/ember-jailer builds a real jail and execs a stand-in VMM
 * (JailProbe, from a test runtime image) in it; the host then checks through /proc what the
 * process ended up with.
 */
class JailerIT {
    private static final int SIGSYS = 31, SIGKILL = 9, SIGHUP = 1;
    private static final int ENOENT = 2, EROFS = 30;

    private Path base;
    private String id;
    private final List<Path> cgroupsToRemove = new ArrayList<>();
    private final List<String> netnsToRemove = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(JailHarness.isRoot(), "the jailer needs root (mknod, mount, setns, cgroups)");
        base = Files.createTempDirectory("ember-jailer-it");
        id = "it-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (base != null) {
            JailHarness.killJailed(base);
            JailHarness.deleteTree(base);
        }
        for (Path cg : cgroupsToRemove) {
            // the VM's cgroup, then the test's parent (only ours: named ember-it...) once empty
            for (Path p : new Path[] {cg, cg.getParent()}) {
                if (Files.isDirectory(p) && (p == cg || p.getFileName().toString().startsWith("ember-it"))) {
                    try {
                        Files.delete(p);
                    } catch (IOException e) {
                        break;   // still in use (another test's VM below it)
                    }
                }
            }
        }
        for (String ns : netnsToRemove) {
            new ProcessBuilder("ip", "netns", "del", ns).start().waitFor();
        }
    }

    private List<String> baseArgs() throws IOException {
        return new ArrayList<>(List.of("--id", id, "--exec-file", JailHarness.testImage().resolve("bin/ember").toString(),
                "--uid", Integer.toString(JailHarness.UID), "--gid", Integer.toString(JailHarness.GID),
                "--chroot-base-dir", base.toString()));
    }

    private Path root() {
        return base.resolve("ember").resolve(id).resolve("root");
    }

    /** The parent of this test's VM cgroup: {@code ember-it} below the memory cgroup (v1) the test runs in; the VM's cgroup is removed afterwards. */
    private String testParentCgroup() throws IOException {
        String parent = (ownMemoryCgroup() + "/ember-it").replaceAll("^/+", "");
        cgroupsToRemove.add(vmCgroup(parent));
        return parent;
    }

    private Path vmCgroup(String parent) {
        return Path.of("/sys/fs/cgroup/memory", parent, id);
    }

    /** The memory cgroup (v1) this test runs in: the VM's cgroup goes below it, inside the same limits. */
    private static String ownMemoryCgroup() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/cgroup")).stream().map(l -> l.split(":", 3))
                .filter(f -> List.of(f[1].split(",")).contains("memory")).map(f -> f[2]).findFirst().orElse("/");
    }

    @Test
    void vmmRunsConfinedWithUidGidNoNewPrivsSeccompRootAndCgroup() throws Exception {
        String parent = testParentCgroup();
        Path cgroup = vmCgroup(parent);
        List<String> args = baseArgs();
        args.addAll(List.of("--no-new-pid-ns", "--cgroup-version", "1", "--parent-cgroup", parent, "--cgroup", "memory.limit_in_bytes=268435456"));
        try (JailHarness.Jailed j = JailHarness.start(args, List.of("seccomp-default"))) {
            String ready = j.line(Duration.ofSeconds(90));
            assertTrue(ready.startsWith("ready "), ready + j.stderr);
            long pid = j.process.pid();
            assertEquals(Long.toString(pid), ready.substring(6), "the jailer execs the VMM under its own PID");

            assertEquals(JailHarness.UID + " " + JailHarness.UID + " " + JailHarness.UID + " " + JailHarness.UID, JailHarness.status(pid, "Uid"));
            assertEquals(JailHarness.GID + " " + JailHarness.GID + " " + JailHarness.GID + " " + JailHarness.GID, JailHarness.status(pid, "Gid"));
            assertEquals("", JailHarness.status(pid, "Groups"));
            assertEquals("1", JailHarness.status(pid, "NoNewPrivs"));
            assertEquals("2", JailHarness.status(pid, "Seccomp"));
            assertEquals("0000000000000000", JailHarness.status(pid, "CapEff"));
            assertEquals("0000000000000000", JailHarness.status(pid, "CapBnd"), "the bounding set is empty");
            assertEquals("0000000000000000", JailHarness.status(pid, "CapAmb"));

            // Its root is the jail: same directory, and the host's /etc is not there.
            Path procRoot = Path.of("/proc/" + pid + "/root");
            assertTrue(Files.isSameFile(procRoot, root()), "root of the VMM is not " + root());
            assertFalse(Files.exists(procRoot.resolve("etc")));
            assertFalse(Files.exists(procRoot.resolve("old_root")));
            assertEquals(pid + "", Files.readString(root().resolve("ember.pid")).trim());

            // Its cgroup is the VM's, with the value written.
            String memoryLine = Files.readAllLines(Path.of("/proc/" + pid + "/cgroup")).stream()
                    .filter(l -> l.split(":", 3)[1].equals("memory")).findFirst().orElseThrow();
            assertEquals("/" + parent + "/" + id, memoryLine.split(":", 3)[2]);
            assertEquals("268435456", Files.readString(cgroup.resolve("memory.limit_in_bytes")).trim());
            // A thread the JVM retires between the two reads is gone from /proc altogether; one of
            // another process is still at /proc/<tid>.
            assertEquals("", Files.readString(cgroup.resolve("tasks")).lines()
                    .filter(t -> !Files.exists(Path.of("/proc/" + pid + "/task/" + t)) && Files.exists(Path.of("/proc/" + t)))
                    .reduce("", String::concat), "every thread in the VM's cgroup is the VMM's");

            // Inside: no host files, the runtime image read-only, the device nodes usable.
            assertEquals("open: errno " + ENOENT, j.command("open /etc/hostname"));
            assertEquals("open: errno " + ENOENT, j.command("open /ember/../../../etc/passwd"));
            assertEquals("write: errno " + EROFS, j.command("write /ember/app/evil.jar"));
            assertEquals("write: ok", j.command("write /run/scratch"));
            assertEquals("open: ok", j.command("open /dev/urandom"));
            if (Files.exists(Path.of("/dev/kvm"))) {
                assertEquals("open: ok", j.command("open /dev/kvm"));
            }
            // The memory limit is in effect: 64 MiB fits, 512 MiB gets the process OOM-killed.
            assertEquals("populate: ok 64", j.command("populate 64"));
            j.process.getOutputStream().write("populate 512\n".getBytes(StandardCharsets.US_ASCII));
            j.process.getOutputStream().flush();
            assertEquals(128 + SIGKILL, j.awaitExit(), j.stderr.toString());
            assertTrue(Long.parseLong(Files.readString(cgroup.resolve("memory.failcnt")).trim()) > 0);
        }
    }

    /** The real VMM, jailed, boots the idle test guest; everything is checked from the host while it ticks. */
    @Test
    @NeedsKvm
    void jailedVmmBootsTheIdleGuestConfinedAndEndsOnSigterm() throws Exception {
        assumeTrue(Host.hasKvm(), Host::noKvmReason);
        String ns = id;
        assertEquals(0, new ProcessBuilder("ip", "netns", "add", ns).inheritIO().start().waitFor());
        netnsToRemove.add(ns);
        String parent = testParentCgroup();
        Path cgroup = vmCgroup(parent);
        JailHarness.provisionTestGuest(root(), "idle");
        List<String> args = new ArrayList<>(List.of("--id", id, "--exec-file", JailHarness.productionExec().toString(),
                "--uid", Integer.toString(JailHarness.UID), "--gid", Integer.toString(JailHarness.GID), "--chroot-base-dir", base.toString(),
                "--netns", "/run/netns/" + ns, "--cgroup-version", "1", "--parent-cgroup", parent,
                "--cgroup", "memory.limit_in_bytes=536870912"));
        try (JailHarness.Jailed vm = JailHarness.startVmm(args, List.of("--no-api", "--config-file", "/vm.json"))) {
            String line;
            do {
                line = vm.line(Duration.ofSeconds(120));
            } while (!line.startsWith("tick 1"));
            long pid = vmmPid();
            assertEquals(pid + " 1", JailHarness.status(pid, "NSpid"), "the VMM is PID 1 of its own PID namespace by default");
            assertEquals("0000000000000000", JailHarness.status(pid, "CapBnd"));
            assertEquals(JailHarness.UID + " " + JailHarness.UID + " " + JailHarness.UID + " " + JailHarness.UID, JailHarness.status(pid, "Uid"));
            assertEquals(JailHarness.GID + " " + JailHarness.GID + " " + JailHarness.GID + " " + JailHarness.GID, JailHarness.status(pid, "Gid"));
            assertEquals("1", JailHarness.status(pid, "NoNewPrivs"));
            assertEquals("2", JailHarness.status(pid, "Seccomp"));
            assertTrue(Files.isSameFile(Path.of("/proc/" + pid + "/root"), root()));
            assertEquals(Files.getAttribute(Path.of("/run/netns/" + ns), "unix:ino"), Files.getAttribute(Path.of("/proc/" + pid + "/ns/net"), "unix:ino"));
            String memoryLine = Files.readAllLines(Path.of("/proc/" + pid + "/cgroup")).stream()
                    .filter(l -> l.split(":", 3)[1].equals("memory")).findFirst().orElseThrow();
            assertEquals("/" + parent + "/" + id, memoryLine.split(":", 3)[2]);
            assertEquals("536870912", Files.readString(cgroup.resolve("memory.limit_in_bytes")).trim());
            // Guest RAM is charged to the VM's cgroup.
            assertTrue(Long.parseLong(Files.readString(cgroup.resolve("memory.usage_in_bytes")).trim()) > 0);
            vm.process.destroy();   // SIGTERM to the jailer, which passes it on to the VMM
            assertEquals(0, vm.awaitExit(), vm.stderr.toString());
            assertTrue(ProcessHandle.of(pid).isEmpty(), "the VMM still runs");
        }
    }

    /**
     * A jailer started with SIGHUP ignored (nohup) does not pass that on: the VMM, exec'd in
     * place or spawned as PID 1 of its own namespace, ends on SIGHUP with Firecracker's 156.
     * A JVM started with a signal ignored installs no handler for it, so without the jailer
     * resetting it the VMM would carry on.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--no-new-pid-ns", "--new-pid-ns"})
    void aVmmJailedUnderNohupStillEndsOnSighupWith156(String pidNs) throws Exception {
        List<String> args = new ArrayList<>(List.of("--id", id, "--exec-file", JailHarness.productionExec().toString(),
                "--uid", Integer.toString(JailHarness.UID), "--gid", Integer.toString(JailHarness.GID), "--chroot-base-dir", base.toString(), pidNs));
        try (JailHarness.Jailed vm = JailHarness.startVmmIgnoringHangup(args, List.of("--api-sock", "/run/ember.socket"))) {
            awaitApi(vm);
            long pid = vmmPid();
            assertEquals(pidNs.equals("--new-pid-ns"), pid != vm.process.pid(), "spawned only in a new PID namespace");
            long hangup = 1L << (SIGHUP - 1);
            assertEquals(0, Long.parseLong(JailHarness.status(pid, "SigIgn"), 16) & hangup, "the VMM ignores SIGHUP");
            assertEquals(hangup, Long.parseLong(JailHarness.status(pid, "SigCgt"), 16) & hangup, "the VMM has no SIGHUP handler");
            assertEquals(0, new ProcessBuilder("kill", "-HUP", Long.toString(pid)).start().waitFor());
            // The jailer is the VMM (exec), or waits for it and ends with its status (spawn).
            assertEquals(156, vm.awaitExit(), vm.stderr.toString());
        }
    }

    /** The jailed VMM's answer to {@code GET /} on the jail's /run/ember.socket, once it serves (up to a minute). */
    private String awaitApi(JailHarness.Jailed vm) throws Exception {
        Path sock = root().resolve("run/ember.socket");
        String answer = "";
        for (int i = 0; i < 600 && !answer.contains("\"state\""); i++) {
            assertTrue(vm.process.isAlive(), "the VMM ended: " + vm.stderr);
            answer = JailHarness.curl(sock, "GET", "/", null);
            Thread.sleep(100);
        }
        return answer;
    }

    /** The VMM's host PID, from the PID file the jailer writes in the jail root. */
    private long vmmPid() throws Exception {
        Path file = root().resolve("firecracker.pid");
        for (int i = 0; i < 600 && !Files.exists(file); i++) {
            Thread.sleep(100);
        }
        return Long.parseLong(Files.readString(file).trim());
    }

    /** Asked through its API for host files, the jailed VMM cannot find them: its / is the jail. */
    @Test
    void theJailedVmmCannotReachHostFilesThroughItsApi() throws Exception {
        assumeTrue(Files.exists(Path.of("/etc/hostname")), "this host has no /etc/hostname");
        List<String> args = new ArrayList<>(List.of("--id", id, "--exec-file", JailHarness.productionExec().toString(),
                "--uid", Integer.toString(JailHarness.UID), "--gid", Integer.toString(JailHarness.GID), "--chroot-base-dir", base.toString()));
        try (JailHarness.Jailed vm = JailHarness.startVmm(args, List.of("--api-sock", "/run/ember.socket"))) {
            Path sock = root().resolve("run/ember.socket");
            String answer = awaitApi(vm);
            assertTrue(answer.contains("\"id\":\"" + id + "\""), answer);
            String drive = JailHarness.curl(sock, "PUT", "/drives/host", "{\"drive_id\": \"host\", \"path_on_host\": \"/etc/hostname\", \"is_root_device\": false, \"is_read_only\": true}");
            assertTrue(drive.startsWith("400 ") && drive.contains("/etc/hostname does not exist"), drive);
            String kernel = JailHarness.curl(sock, "PUT", "/boot-source", "{\"kernel_image_path\": \"/ember/../../etc/passwd\"}");
            assertTrue(kernel.startsWith("400 ") && kernel.contains("does not exist"), kernel);
            vm.process.destroy();
            assertEquals(0, vm.awaitExit(), vm.stderr.toString());
        }
    }

    @Test
    @NeedsKvm
    void aJailedVmmThatMakesAForbiddenCallDiesWithSigsys() throws Exception {
        assumeTrue(Host.hasKvm(), Host::noKvmReason);
        JailHarness.provisionTestGuest(root(), "idle");
        // Everything is allowed except KVM_RUN: the VM is built, and the first vCPU entry is fatal.
        Files.writeString(root().resolve("no-kvm-run.json"), "{\"default_action\": \"allow\", \"filter_action\": \"kill_process\", \"filter\": ["
                + "{\"syscall\": \"ioctl\", \"args\": [{\"arg_index\": 1, \"arg_type\": \"dword\", \"op\": \"eq\", \"val\": 44672}]}]}");
        List<String> args = new ArrayList<>(List.of("--id", id, "--exec-file", JailHarness.productionExec().toString(),
                "--uid", Integer.toString(JailHarness.UID), "--gid", Integer.toString(JailHarness.GID), "--chroot-base-dir", base.toString()));
        try (JailHarness.Jailed vm = JailHarness.startVmm(args, List.of("--no-api", "--config-file", "/vm.json", "--seccomp-filter", "/no-kvm-run.json"))) {
            assertEquals(128 + SIGSYS, vm.awaitExit(), vm.stderr.toString());
            assertTrue(vm.lines.stream().noneMatch(l -> l.contains("READY")), "the guest ran");
        }
    }

    @Test
    void networkNamespaceIsTheOneRequested() throws Exception {
        String ns = id;
        assertEquals(0, new ProcessBuilder("ip", "netns", "add", ns).inheritIO().start().waitFor());
        netnsToRemove.add(ns);
        List<String> args = baseArgs();
        args.addAll(List.of("--netns", "/run/netns/" + ns));
        try (JailHarness.Jailed j = JailHarness.start(args, List.of())) {
            assertTrue(j.line(Duration.ofSeconds(90)).startsWith("ready"), j.stderr.toString());
            long pid = vmmPid();
            Object want = Files.getAttribute(Path.of("/run/netns/" + ns), "unix:ino");
            assertEquals(want, Files.getAttribute(Path.of("/proc/" + pid + "/ns/net"), "unix:ino"));
            assertFalse(want.equals(Files.getAttribute(Path.of("/proc/self/ns/net"), "unix:ino")));
            // and a private mount namespace of its own
            assertFalse(Files.getAttribute(Path.of("/proc/self/ns/mnt"), "unix:ino")
                    .equals(Files.getAttribute(Path.of("/proc/" + pid + "/ns/mnt"), "unix:ino")));
            assertEquals("bye", j.command("exit"));
            assertEquals(0, j.awaitExit());
        }
    }

    @Test
    void aSyscallTheFilterForbidsKillsTheVmmWithSigsys() throws Exception {
        // A filter file in the jail that allows everything but getppid.
        Files.createDirectories(root());
        Files.writeString(root().resolve("deny-getppid.json"),
                "{\"default_action\": \"allow\", \"filter_action\": \"kill_process\", \"filter\": [{\"syscall\": \"getppid\"}]}");
        try (JailHarness.Jailed j = JailHarness.start(baseArgs(), List.of("seccomp-file:/deny-getppid.json"))) {
            assertTrue(j.line(Duration.ofSeconds(90)).startsWith("ready"), j.stderr.toString());
            assertEquals("syscall: ok " + 1, j.command("syscall 39").replaceAll("ok \\d+", "ok 1"));   // getpid runs
            j.process.getOutputStream().write("syscall 110\n".getBytes(StandardCharsets.US_ASCII));
            j.process.getOutputStream().flush();
            assertEquals(128 + SIGSYS, j.awaitExit(), j.stderr.toString());
        }
    }

    /**
     * bin/ember-jailer's JVM loads jffi's JNI stub from the runtime image instead of unpacking it
     * into a temporary file at every start (whose name takes SecureRandom and the security
     * providers, ~60 ms of the jailer's start): its class-loading log up to the jail step that
     * fails here (no such network namespace) has jffi set up, and no temporary-file or
     * SecureRandom class. Its class path holds only what the jailer's code uses (its jar, sys,
     * jffi, picocli): not the VMM's jars, which lie beside them for the runtime image and which
     * the JVM would open and check against the AOT cache at every start.
     */
    @Test
    void theJailersJvmLoadsJffisStubFromTheImageAndOnlyItsOwnJars() throws Exception {
        Path classes = base.resolve("classes.txt");
        Path classPath = base.resolve("class-path.txt");
        Path out = base.resolve("out.txt");
        List<String> cmd = new ArrayList<>(List.of(JailHarness.repo().resolve("bin/ember-jailer").toString()));
        cmd.addAll(baseArgs());
        cmd.addAll(List.of("--netns", base.resolve("no-such-netns").toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("JAVA_TOOL_OPTIONS", "-Xlog:class+load=info:file=" + classes + " -Xlog:class+path=info:file=" + classPath);
        Process p = pb.start();
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
        String output = Files.readString(out);
        assertEquals(1, p.exitValue(), output);
        assertTrue(output.contains("no-such-netns"), output);
        String loaded = Files.readString(classes);
        assertTrue(loaded.contains("com.kenai.jffi.Init "), "jffi was set up before the network namespace step\n" + output);
        assertFalse(loaded.contains("java.io.File$TempDirectory"), "jffi unpacked its stub into a temporary file");
        assertFalse(loaded.contains("sun.security.provider.SecureRandom "), "SecureRandom was set up");
        // One DEBUG line nobody could turn on cost java.util.logging's set-up (~5-10 ms with the AOT cache).
        assertFalse(loaded.contains("java.util.logging.LogManager "), "java.util.logging was set up");
        // Nothing in the jailer needs the time zone (lib/tzdb.dat) or ProcessHandle.Info (command
        // line, user name through NSS) for its CPU time: ~5 and ~8 ms of its start, interpreted.
        assertFalse(loaded.contains("sun.util.calendar.ZoneInfoFile "), "the time zone data was read");
        assertFalse(loaded.contains("java.lang.ProcessHandleImpl$Info "), "ProcessHandle.Info was gathered");
        String path = Files.readString(classPath);
        assertTrue(path.contains("/lib/sys-"), path);
        for (String vmmJar : new String[] {"api-server-", "vmm-core-", "devices-", "undertow-", "jackson-databind-"}) {
            assertFalse(path.contains("/lib/" + vmmJar), vmmJar + " is on the jailer's class path:\n" + path);
        }
    }

    /**
     * A whole jailed start (the bench's: the runtime image's VMM up to GET /) spins no class in
     * the jailer's JVM and loads nothing it does not use: jffi's reflective look-up of its stub
     * loader goes through the JVM's native accessor (a method-handle accessor spun classes, ~5 ms
     * interpreted), every call site the start reaches is resolved in the AOT cache (the build
     * trains it on this whole start as root), and neither ProcessHandle (its process-reaper pool)
     * nor an executor is part of the start.
     */
    @Test
    void aWholeJailedStartSpinsNoClassInTheJailer() throws Exception {
        assumeTrue(Runtime.version().feature() >= 25 && Files.exists(JailHarness.repo().resolve("jailer/target/ember-jailer.aot")),
                "the jailer's AOT cache needs JDK 25 and a build that trained it");
        Path classes = base.resolve("jailer-classes.txt");
        List<String> cmd = new ArrayList<>(List.of(JailHarness.repo().resolve("bin/ember-jailer").toString(),
                "--id", id, "--exec-file", JailHarness.productionExec().toString(),
                "--uid", Integer.toString(JailHarness.UID), "--gid", Integer.toString(JailHarness.GID), "--chroot-base-dir", base.toString(),
                "--", "--api-sock", "/run/ember.socket"));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        // The jailer's JVM only: the VMM's environment is the jailer's own (LD_LIBRARY_PATH alone).
        pb.environment().put("JAVA_TOOL_OPTIONS", "-Xlog:class+load=info:file=" + classes);
        try (JailHarness.Jailed vm = new JailHarness.Jailed(pb.start())) {
            assertTrue(awaitApi(vm).contains("\"id\":\"" + id + "\""), vm.stderr.toString());
            List<String> loaded = Files.readAllLines(classes);
            // The pid file's stream is used after pivot_root only: cached when the build trained
            // the cache on a whole start (as root), else the early-stopping training was used.
            assumeTrue(loaded.stream().anyMatch(l -> l.contains("sun.nio.ch.ChannelOutputStream source: shared objects file")),
                    "the jailer's AOT cache was trained without a whole jailed start (no root at build time)");
            List<String> spun = loaded.stream().filter(l -> l.contains("source: __")).toList();
            assertEquals(List.of(), spun, "classes defined at run time by the jailer");
            for (String unused : new String[] {"java.lang.ProcessHandleImpl ", "java.util.concurrent.ThreadPoolExecutor "}) {
                assertFalse(loaded.stream().anyMatch(l -> l.contains("] " + unused)), unused + "was loaded");
            }
            vm.process.destroy();
            assertEquals(0, vm.awaitExit(), vm.stderr.toString());
        }
    }

    /**
     * The jailer interprets its code (bin/ember-jailer runs its JVM with -Xint): it runs once, then
     * waits for the VMM, so a compiler thread would only spend CPU (~40 ms) beside the VMM's start.
     * The jailer process waiting for its VMM has no compiler thread, and its JVM is the runtime
     * image's.
     */
    @Test
    void theJailerWaitingForItsVmmHasNoCompilerThread() throws Exception {
        try (JailHarness.Jailed j = JailHarness.start(baseArgs(), List.of())) {
            assertTrue(j.line(Duration.ofSeconds(90)).startsWith("ready"), j.stderr.toString());
            List<String> threads = new ArrayList<>();
            try (var tasks = Files.list(Path.of("/proc/" + j.process.pid() + "/task"))) {
                for (Path t : (Iterable<Path>) tasks::iterator) {
                    try {
                        threads.add(Files.readString(t.resolve("comm")).trim());
                    } catch (NoSuchFileException retired) {
                        // a thread that ended after the listing
                    }
                }
            }
            assertTrue(threads.contains("jailer-host-cle"), "the jailer's own threads are listed: " + threads);
            assertFalse(threads.stream().anyMatch(n -> n.contains("CompilerThre")), "a compiler thread in the jailer: " + threads);
            // It runs on the runtime image's JVM (fewer modules than the JDK's to set up).
            assertEquals(JailHarness.repo().resolve("jailer/target/ember-runtime/bin/java").toRealPath(),
                    Path.of("/proc/" + j.process.pid() + "/exe").toRealPath());
        }
    }

    @Test
    void newPidNamespaceAndDaemonize() throws Exception {
        List<String> args = baseArgs();
        args.addAll(List.of("--new-pid-ns", "--daemonize", "--main-class", "dev.ember.jailer.probe.JailProbe"));
        String[] r = JailHarness.runToEnd(args);
        assertEquals("0", r[0], r[1]);
        Path pidFile = root().resolve("ember.pid");
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        try {
            assertEquals(pid + " 1", JailHarness.status(pid, "NSpid"), "the VMM is PID 1 of its own PID namespace");
            assertEquals(Integer.toString(JailHarness.UID), JailHarness.status(pid, "Uid").split(" ")[0]);
            assertEquals("1", JailHarness.status(pid, "NoNewPrivs"));
            // setsid: its own session, no terminal; stdin is /dev/null so the probe ends on EOF... or waits
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            assertEquals("0", f[4], "no controlling terminal");
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    /**
     * A system call that fails inside the jail is reported with its errno's text: the jailer's
     * class path is not in the jail, so errno's classes are loaded before it enters (here setsid,
     * which fails for a session leader: the jailer started through setsid(1)).
     */
    @Test
    void aFailureInsideTheJailIsNamed() throws Exception {
        List<String> cmd = new ArrayList<>(List.of("setsid", JailHarness.repo().resolve("bin/ember-jailer").toString(),
                "--id", id, "--exec-file", JailHarness.productionExec().toString(),
                "--uid", Integer.toString(JailHarness.UID), "--gid", Integer.toString(JailHarness.GID),
                "--chroot-base-dir", base.toString(), "--daemonize"));
        dev.ember.testing.HostCommand.Result r = dev.ember.testing.HostCommand.run(Duration.ofSeconds(120), cmd);
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("--daemonize: setsid failed (Operation not permitted)"), r.output());
        assertFalse(Files.exists(root().resolve("dev/kvm")), "the jail's nodes are undone");
    }

    /**
     * The jailed VMM starts from the runtime image's own AOT cache (trained by the build at the
     * image's build path; it serves /ember/app/'s jars in the jail) rather than from parsed class files.
     */
    @Test
    void theJailedVmmMapsTheImagesAotCache() throws Exception {
        assumeTrue(Runtime.version().feature() >= 25, "AOT caches need JDK 25");
        // The built image itself: the tests' copy has a probe jar more in app/, a class path the cache does not record.
        List<String> args = new ArrayList<>(List.of("--id", id, "--exec-file",
                JailHarness.repo().resolve("jailer/target/ember-runtime/bin/ember").toString(),
                "--uid", Integer.toString(JailHarness.UID), "--gid", Integer.toString(JailHarness.GID),
                "--chroot-base-dir", base.toString(), "--daemonize", "--", "--api-sock", "/run/api.sock"));
        String[] r = JailHarness.runToEnd(args);
        assertEquals("0", r[0], r[1]);
        long pid = Long.parseLong(Files.readString(root().resolve("ember.pid")).trim());
        try {
            Path sock = root().resolve("run/api.sock");
            for (int i = 0; i < 1200 && !JailHarness.curl(sock, "GET", "/", null).startsWith("200 "); i++) {
                Thread.sleep(50);
            }
            assertTrue(JailHarness.curl(sock, "GET", "/", null).startsWith("200 "), "the jailed API answers");
            String maps = Files.readString(Path.of("/proc/" + pid + "/maps"));
            assertTrue(maps.contains("/ember/aot/ember.aot"), "the jailed VMM maps the image's AOT cache");
            // And reads no jar it does not need up to the first answer (app/jvm.args's class path
            // order; docs/architecture.md, "Logging, and what the start reads from the class path").
            List<String> jars = dev.ember.testing.OpenJars.of(pid);
            assertEquals(List.of("api-server", "vmm-core", "xnio-api"), jars);
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    /**
     * The image's AOT cache holds a snapshot load's first steps (train-image-aot.sh idles after
     * GET / so that the VMM runs them ahead, LoadAhead), as bin/ember's does: a jailed VMM started
     * for a load finds them in the cache instead of the jars.
     */
    @Test
    void theImagesAotCacheHoldsALoadsFirstSteps() throws Exception {
        assumeTrue(Runtime.version().feature() >= 25, "AOT caches need JDK 25");
        Path image = JailHarness.repo().resolve("jailer/target/ember-runtime");
        assumeTrue(Files.isRegularFile(image.resolve("aot/ember.aot")), "the image has no AOT cache");
        List<String> cmd = new ArrayList<>(List.of(image.resolve("bin/ember-vmm").toString()));
        List<String> args = Files.readAllLines(image.resolve("app/jvm.args"));
        for (String opt : args) {
            if (!opt.equals("-cp") && !opt.contains("/ember/")) {
                cmd.add(opt);
            }
        }
        // The class path in jvm.args's order (the one the cache was trained with), at the image's place.
        String classPath = args.get(args.indexOf("-cp") + 1).replace("/ember/", image + "/");
        cmd.addAll(List.of("-XX:AOTCache=" + image.resolve("aot/ember.aot"), "-Djffi.boot.library.path=" + image.resolve("native"),
                "-Xlog:class+load=info:file=" + base.resolve("classes.txt"), "-cp", classPath, "dev.ember.cli.Main", "--version"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(base.resolve("out.txt").toFile()).start();
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), Files.readString(base.resolve("out.txt")));
        String loaded = Files.readString(base.resolve("classes.txt"));
        for (String cls : new String[] {"dev.ember.app.LoadAhead", "dev.ember.config.VmConfigFile$Streamed"}) {
            assertTrue(loaded.contains(cls + " source: shared objects file"), cls + " is not in the image's AOT cache");
        }
    }

    @Test
    void aFailedStartLeavesNothingBehind() throws Exception {
        String parent = testParentCgroup();
        Path cgroup = vmCgroup(parent);
        List<String> args = baseArgs();
        // The cgroup is made and joined, then the network namespace cannot be opened.
        args.addAll(List.of("--cgroup-version", "1", "--parent-cgroup", parent, "--cgroup", "memory.limit_in_bytes=268435456",
                "--netns", "/run/netns/does-not-exist-" + id));
        String[] r = JailHarness.runToEnd(args);
        assertEquals("1", r[0], r[1]);
        assertTrue(r[1].contains("--netns /run/netns/does-not-exist-" + id + ": cannot open the network namespace"), r[1]);
        assertFalse(r[1].contains("Exception"), r[1]);
        assertFalse(Files.exists(base.resolve("ember")), "jail directories left behind: " + r[1]);
        assertFalse(Files.exists(cgroup), "cgroup left behind");
    }

    @Test
    void symbolicLinksLeftInAnOldJailAreRefused() throws Exception {
        Path victim = Files.createDirectories(base.resolve("victim"));
        Files.createDirectories(root());
        Files.createSymbolicLink(root().resolve("dev"), victim);
        String[] r = JailHarness.runToEnd(baseArgs());
        assertEquals("1", r[0], r[1]);
        assertTrue(r[1].contains(root().resolve("dev") + " is a symbolic link"), r[1]);
        try (var s = Files.list(victim)) {
            assertEquals(0, s.count(), "something was made through the link");
        }
    }

    @Test
    void badCgroupFileIsNamedAndUndone() throws Exception {
        List<String> args = baseArgs();
        args.addAll(List.of("--cgroup-version", "2", "--parent-cgroup", "ember-it-" + id, "--cgroup", "cgroup.max.descendants=3",
                "--cgroup", "cgroup.nosuchfile=1"));
        cgroupsToRemove.add(Path.of("/sys/fs/cgroup/unified/ember-it-" + id, id));
        String[] r = JailHarness.runToEnd(args);
        assertEquals("2", r[0], r[1]);
        assertTrue(r[1].contains("--cgroup cgroup.nosuchfile=1"), r[1]);
        assertFalse(Files.exists(Path.of("/sys/fs/cgroup/unified/ember-it-" + id)), "cgroup left behind");
        assertFalse(Files.exists(base.resolve("ember")), "jail left behind");
    }

    @Test
    void cgroupV2PlacesTheVmmAndWritesTheValue() throws Exception {
        Path unified = Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers")) ? Path.of("/sys/fs/cgroup") : Path.of("/sys/fs/cgroup/unified");
        assumeTrue(Files.exists(unified.resolve("cgroup.procs")), "no cgroup2 hierarchy mounted");
        String parent = "ember-it-" + id;
        Path cgroup = unified.resolve(parent).resolve(id);
        cgroupsToRemove.add(cgroup);
        List<String> args = baseArgs();
        args.addAll(List.of("--cgroup-version", "2", "--parent-cgroup", parent, "--cgroup", "cgroup.max.descendants=3"));
        try (JailHarness.Jailed j = JailHarness.start(args, List.of())) {
            assertTrue(j.line(Duration.ofSeconds(90)).startsWith("ready"), j.stderr.toString());
            long pid = vmmPid();
            String v2 = Files.readAllLines(Path.of("/proc/" + pid + "/cgroup")).stream().filter(l -> l.startsWith("0::")).findFirst().orElseThrow();
            assertEquals("0::/" + parent + "/" + id, v2);
            assertEquals("3", Files.readString(cgroup.resolve("cgroup.max.descendants")).trim());
            assertEquals("bye", j.command("exit"));
            assertEquals(0, j.awaitExit());
        }
    }
}
