package dev.ember.jailer;

import dev.ember.testing.HostCommand;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs the real bin/ember-jailer for integration tests, with a test runtime image: the built
 * image (hard-linked) plus a jar of {@link dev.ember.jailer.probe.JailProbe}.
 */
final class JailHarness {
    static final int UID = 12345, GID = 12346;

    private JailHarness() {}

    static Path repo() {
        String p = System.getProperty("ember.repo");
        Path dir = p != null ? Path.of(p) : Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("bin/ember-jailer"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("cannot find the repository root (bin/ember-jailer); set -Dember.repo");
        }
        return dir;
    }

    static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().anyMatch(l -> l.matches("Uid:\\s+0\\s+0\\s+0\\s+0"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path testImage;

    /** target/it-runtime: ember-runtime hard-linked, plus app/jail-probe.jar (on jvm.args's class path). */
    static synchronized Path testImage() throws IOException {
        if (testImage != null) {
            return testImage;
        }
        Path target = repo().resolve("jailer/target");
        Path built = target.resolve("ember-runtime");
        if (!Files.isExecutable(built.resolve("bin/ember"))) {
            throw new IllegalStateException(built + " is missing: the package phase builds it (mvn verify)");
        }
        Path image = target.resolve("it-runtime");
        deleteTree(image);
        try (Stream<Path> files = Files.walk(built)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path to = image.resolve(built.relativize(f).toString());
                if (Files.isDirectory(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(to);
                } else if (Files.isSymbolicLink(f)) {
                    Files.createSymbolicLink(to, Files.readSymbolicLink(f));
                } else {
                    Files.createLink(to, f);
                }
            }
        }
        Path classes = target.resolve("test-classes");
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(image.resolve("app/jail-probe.jar")));
             Stream<Path> files = Files.walk(classes.resolve("dev/ember/jailer/probe"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f)) {
                    jar.putNextEntry(new JarEntry(classes.relativize(f).toString()));
                    jar.write(Files.readAllBytes(f));
                    jar.closeEntry();
                }
            }
        }
        // jvm.args names the image's jars one by one (their order matters to the start): the probe's
        // is added at the end, in a file of the copy's own (the linked one is the build's).
        Path jvmArgs = image.resolve("app/jvm.args");
        List<String> lines = new ArrayList<>(Files.readAllLines(jvmArgs));
        int cp = lines.indexOf("-cp") + 1;
        lines.set(cp, lines.get(cp) + ":" + RuntimeImage.MOUNT_POINT + "/app/jail-probe.jar");
        Files.delete(jvmArgs);
        Files.write(jvmArgs, lines);
        testImage = image;
        return image;
    }

    /**
     * SIGKILLs every process whose root is a jail under {@code base}: a VMM in its own PID
     * namespace outlives a jailer that a failing test killed (SIGKILL is not passed on).
     */
    static void killJailed(Path base) throws IOException {
        List<Path> roots = new ArrayList<>();
        try (Stream<Path> execs = Files.list(base)) {
            for (Path exec : (Iterable<Path>) execs::iterator) {
                if (Files.isDirectory(exec, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    try (Stream<Path> jails = Files.list(exec)) {
                        jails.map(j -> j.resolve("root")).filter(Files::isDirectory).forEach(roots::add);
                    }
                }
            }
        } catch (java.nio.file.NoSuchFileException e) {
            return;
        }
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : (Iterable<Path>) procs::iterator) {
                if (!proc.getFileName().toString().matches("\\d+")) {
                    continue;
                }
                for (Path root : roots) {
                    try {
                        if (Files.isSameFile(proc.resolve("root"), root)) {
                            ProcessHandle.of(Long.parseLong(proc.getFileName().toString())).ifPresent(ProcessHandle::destroyForcibly);
                        }
                    } catch (IOException e) {
                        // ended meanwhile, or not ours to look at
                    }
                }
            }
        }
    }

    /** A fresh VM id for a jail: {@code prefix}- and eight hex digits. */
    static String vmId(String prefix) {
        return prefix + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    }

    /** Runs a host command (mount, mkfifo, kill, ...); its output goes to stderr when it fails. */
    static int sh(String... cmd) throws IOException, InterruptedException {
        HostCommand.Result r = HostCommand.run(Duration.ofSeconds(60), cmd);
        if (!r.ok()) {
            System.err.println(String.join(" ", cmd) + ": " + r.output());
        }
        return r.exit();
    }

    /**
     * What an orchestrator-style test leaves on the host: VMMs jailed under {@code base}, bind
     * mounts it made (undone last first, lazily) and {@code base} itself.
     */
    static final class HostTraces implements AfterEachCallback {
        private final Path base;
        private final List<Path> mounts = new ArrayList<>();

        /** A fresh temporary {@code base} named after {@code prefix}; registered as an extension, cleared after each test. */
        static HostTraces inTempDirectory(String prefix) {
            try {
                return new HostTraces(Files.createTempDirectory(prefix));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private HostTraces(Path base) {
            this.base = base;
        }

        /** Where the test's jails go ({@code --chroot-base-dir}). */
        Path base() {
            return base;
        }

        @Override
        public void afterEach(ExtensionContext context) throws Exception {
            clear();
        }

        /** {@code mount --bind source target}, undone by {@link #clear}. */
        void bindMount(Path source, Path target) throws IOException, InterruptedException {
            if (sh("mount", "--bind", source.toString(), target.toString()) != 0) {
                throw new AssertionError("mount --bind " + source + " " + target + " failed");
            }
            mounts.add(target);
        }

        void clear() throws IOException, InterruptedException {
            killJailed(base);
            for (int i = mounts.size() - 1; i >= 0; i--) {
                sh("umount", "-l", mounts.get(i).toString());
            }
            deleteTree(base);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    /** A running bin/ember-jailer (becoming the probe), its stdout as lines. */
    static final class Jailed implements AutoCloseable {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final StringBuffer stderr = new StringBuffer();

        Jailed(Process process) {
            this.process = process;
            Thread out = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        lines.add(l);
                    }
                } catch (IOException e) {
                    // process gone
                }
            });
            out.setDaemon(true);
            out.start();
            Thread err = new Thread(() -> {
                try {
                    stderr.append(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // process gone
                }
            });
            err.setDaemon(true);
            err.start();
        }

        /** The next stdout line; fails (with stderr) if none comes. */
        String line(Duration timeout) throws InterruptedException {
            String l = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (l == null) {
                throw new AssertionError("no output from the jailed process (" + (process.isAlive() ? "running" : "exit " + process.exitValue())
                        + ")\n--- stderr ---\n" + stderr);
            }
            return l;
        }

        String command(String cmd) throws IOException, InterruptedException {
            OutputStream in = process.getOutputStream();
            in.write((cmd + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
            return line(Duration.ofSeconds(60));
        }

        int awaitExit() throws InterruptedException {
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                throw new AssertionError("the jailed process did not end\n" + stderr);
            }
            return process.exitValue();
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    static Jailed start(List<String> jailerArgs, List<String> probeArgs) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(repo().resolve("bin/ember-jailer").toString());
        cmd.addAll(jailerArgs);
        cmd.add("--main-class");
        cmd.add("dev.ember.jailer.probe.JailProbe");
        cmd.add("--");
        cmd.addAll(probeArgs);
        return new Jailed(new ProcessBuilder(cmd).start());
    }

    /** As {@link #start}, from a shell whose umask is 000 (the caller's umask must not matter). */
    static Jailed startUnderUmask000(List<String> jailerArgs, List<String> probeArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "umask 000; exec \"$0\" \"$@\"", repo().resolve("bin/ember-jailer").toString()));
        cmd.addAll(jailerArgs);
        cmd.addAll(List.of("--main-class", "dev.ember.jailer.probe.JailProbe", "--"));
        cmd.addAll(probeArgs);
        return new Jailed(new ProcessBuilder(cmd).start());
    }

    /** bin/ember-jailer with {@code jailerArgs}, then {@code -- vmmArgs}: the real VMM (dev.ember.cli.Main). */
    static Jailed startVmm(List<String> jailerArgs, List<String> vmmArgs) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(repo().resolve("bin/ember-jailer").toString());
        cmd.addAll(jailerArgs);
        cmd.add("--");
        cmd.addAll(vmmArgs);
        return new Jailed(new ProcessBuilder(cmd).start());
    }

    /** As {@link #startVmm}, from a shell that ignores SIGHUP, as {@code nohup} or a supervisor may leave it. */
    static Jailed startVmmIgnoringHangup(List<String> jailerArgs, List<String> vmmArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "trap '' HUP; exec \"$0\" \"$@\"", repo().resolve("bin/ember-jailer").toString()));
        cmd.addAll(jailerArgs);
        cmd.add("--");
        cmd.addAll(vmmArgs);
        return new Jailed(new ProcessBuilder(cmd).start());
    }

    /** The production runtime image's launcher, as bin/ember-launch passes it. */
    static Path productionExec() {
        return repo().resolve("jailer/target/ember-runtime/bin/ember");
    }

    /** Hard-links (or copies) the test guest into {@code root} and writes a config for {@code scenario} with in-jail paths. */
    static void provisionTestGuest(Path root, String scenario) throws IOException {
        Path elf = repo().resolve("guest-images/out/testguest.elf");
        if (!Files.isRegularFile(elf)) {
            throw new IllegalStateException(elf + " is missing: the guest-images module builds it");
        }
        Files.createDirectories(root);
        try {
            Files.createLink(root.resolve("testguest.elf"), elf);
        } catch (IOException e) {
            Files.copy(elf, root.resolve("testguest.elf"));
        }
        Files.writeString(root.resolve("vm.json"), "{\"boot-source\": {\"kernel_image_path\": \"/testguest.elf\", \"boot_args\": \"console=ttyS0 ember.test="
                + scenario + "\"}, \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 128}}\n");
    }

    /** Runs bin/ember-jailer to completion: exit status and stderr. */
    static String[] runToEnd(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(repo().resolve("bin/ember-jailer").toString());
        cmd.addAll(args);
        HostCommand.Result r = HostCommand.run(Duration.ofSeconds(120), cmd);
        if (r.exit() == -1) {
            throw new AssertionError(r.output());
        }
        return new String[] {Integer.toString(r.exit()), r.output()};
    }

    /** "CODE BODY" of one request through the Unix socket (curl, as an operator would). */
    static String curl(Path sock, String method, String path, String body) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("curl", "-s", "--unix-socket", sock.toString(), "-X", method, "http://localhost" + path,
                "-H", "Content-Type: application/json", "-w", "\n%{http_code}"));
        if (body != null) {
            cmd.addAll(List.of("-d", body));
        }
        String out = HostCommand.run(Duration.ofSeconds(60), cmd).output();
        int nl = out.lastIndexOf('\n');
        return nl < 0 ? out : out.substring(nl + 1) + " " + out.substring(0, nl);
    }

    /** One field of /proc/PID/status, whitespace collapsed; "(none)" when absent. */
    static String status(long pid, String field) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith(field + ":"))
                .map(l -> l.substring(field.length() + 1).trim().replaceAll("\\s+", " ")).findFirst().orElse("(none)");
    }

    /**
     * What identifies a file a process has open, whatever path its descriptor reads as from here
     * (from outside a jail's mount namespace that depends on how this side's root was made: in the
     * nested tier's L1, a chroot, it carries the chroot's prefix): a device node's number, or a
     * file's device and inode.
     */
    static String fileKey(Path file) throws IOException {
        Map<String, Object> a = Files.readAttributes(file, "unix:mode,dev,ino,rdev");
        return ((Integer) a.get("mode") & 0xF000) == 0x2000 ? "char " + a.get("rdev") : a.get("dev") + ":" + a.get("ino");
    }

    /** {@link #fileKey} of every file the process has open (sockets and descriptors closed meanwhile left out). */
    static Set<String> openFileKeys(long pid) throws IOException {
        Set<String> keys = new HashSet<>();
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    keys.add(fileKey(fd));
                } catch (IOException e) {
                    // closed meanwhile, or no file (a socket's)
                }
            }
        }
        return keys;
    }
}
