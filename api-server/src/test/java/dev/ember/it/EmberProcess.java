package dev.ember.it;

import dev.ember.api.UnixHttpClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The real {@code bin/ember} process, as a user runs it, for integration tests: its stdout (the
 * guest's serial console) and stderr (the VMM log) are collected while it runs, tests can wait
 * for a line, type on its stdin, signal it and collect its exit status.
 */
public final class EmberProcess implements AutoCloseable {
    /** Every process not yet closed, for a hang report (the nested tier's runner lists them). */
    private static final java.util.Set<EmberProcess> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final Process process;
    private final StringBuffer stdout = new StringBuffer();
    private final StringBuffer stderr = new StringBuffer();
    private final Thread outPump;
    private final Thread errPump;
    /** Where stdout and stderr both go, when they share a file; else null (two pipes). */
    private final Path sharedOutput;

    private EmberProcess(Process process) {
        this(process, null);
    }

    private EmberProcess(Process process, Path sharedOutput) {
        this.process = process;
        this.sharedOutput = sharedOutput;
        this.outPump = pump(process.getInputStream(), stdout, "ember-stdout");
        this.errPump = pump(process.getErrorStream(), stderr, "ember-stderr");
        LIVE.add(this);
    }

    /** The processes started and not yet closed, in no particular order. */
    public static List<EmberProcess> live() {
        return List.copyOf(LIVE);
    }

    /** The repository root: where bin/ember lives and relative config paths resolve. */
    public static Path repo() {
        String p = System.getProperty("ember.repo");
        Path dir = p != null ? Path.of(p) : Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("bin/ember"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("cannot find the repository root (bin/ember); set -Dember.repo");
        }
        return dir;
    }

    public static EmberProcess start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(repo().resolve("bin/ember").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(repo().toFile());
        return new EmberProcess(pb.start());
    }

    /** {@code bin/ember --api-sock sock extraArgs}, returned once {@code GET /} has answered 200. */
    public static EmberProcess serving(Path sock, String... extraArgs) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("--api-sock", sock.toString()));
        args.addAll(List.of(extraArgs));
        EmberProcess vm = start(args.toArray(new String[0]));
        org.junit.jupiter.api.Assertions.assertEquals(200, vm.api(sock).get("/").status(), vm.describe());
        return vm;
    }

    /** SIGTERM, then the process must exit 0 within 30 s (Firecracker's clean stop). */
    public void stopCleanly() throws InterruptedException {
        terminate();
        org.junit.jupiter.api.Assertions.assertEquals(0, awaitExit(Duration.ofSeconds(30)), describe());
    }

    /** Another program of the repository's bin/ (e.g. {@code ember-uffd-handler}), its output collected the same way. */
    public static EmberProcess startTool(String program, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(repo().resolve("bin").resolve(program).toString());
        cmd.addAll(List.of(args));
        return new EmberProcess(new ProcessBuilder(cmd).directory(repo().toFile()).start());
    }

    /** Sends {@code signal} ({@code KILL}, {@code STOP}, ...) with kill(1); the bin/ scripts exec, so the pid is the program's. */
    public void signal(String signal) throws IOException, InterruptedException {
        org.junit.jupiter.api.Assertions.assertEquals(0, new ProcessBuilder("kill", "-s", signal, Long.toString(pid())).start().waitFor(),
                "kill -s " + signal + " " + pid());
    }

    /** Like {@link #start}, with {@code launcher} (e.g. {@code ip netns exec <name>}) in front of bin/ember. */
    public static EmberProcess startVia(List<String> launcher, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(launcher);
        cmd.add(repo().resolve("bin/ember").toString());
        cmd.addAll(List.of(args));
        return new EmberProcess(new ProcessBuilder(cmd).directory(repo().toFile()).start());
    }

    /** Boots {@code config} (a path relative to the repository) with no API socket. */
    public static EmberProcess boot(String config, String... extraArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of("--no-api", "--config-file", config));
        args.addAll(List.of(extraArgs));
        return start(args.toArray(new String[0]));
    }

    /**
     * Like {@link #boot}, with stdout and stderr in one file, {@code output} (as {@code > output 2>&1}
     * or a terminal has them): {@link #stdout()} is the file's contents. A file rather than a pipe,
     * because Process drops what a pipe still holds when the process ends.
     */
    public static EmberProcess bootSharingOutput(Path output, String config, String... extraArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(repo().resolve("bin/ember").toString(), "--no-api", "--config-file", config));
        cmd.addAll(List.of(extraArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(repo().toFile()).redirectErrorStream(true).redirectOutput(output.toFile());
        return new EmberProcess(pb.start(), output);
    }

    private static Thread pump(InputStream in, StringBuffer sink, String name) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[4096];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    sink.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // the process went away; what was read stays in the sink
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    public String stdout() {
        if (sharedOutput != null) {
            try {
                return Files.readString(sharedOutput);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return stdout.toString();
    }

    public String stderr() {
        return stderr.toString();
    }

    public long pid() {
        return process.pid();
    }

    /**
     * bin/ember serving its API on {@code sock}, its JVM logging each class it loads, by thread,
     * to {@code classLog} (see {@link #classesLoadedBy}); returned once {@code GET /} has answered 200.
     */
    public static EmberProcess servingWithClassLog(Path sock, Path classLog) throws IOException, InterruptedException {
        EmberProcess vm = startVia(List.of("env", "EMBER_JVM_EXTRA=-Xlog:class+load=info:file=" + classLog + ":tid"),
                "--api-sock", sock.toString());
        org.junit.jupiter.api.Assertions.assertEquals(200, vm.api(sock).get("/").status(), vm.describe());
        return vm;
    }

    /**
     * The lines of {@code classLog} (from {@link #servingWithClassLog}) for the classes this
     * process's thread named {@code name} loaded; fails the test when there is no such thread or it
     * loaded none. The JVM's main thread is named {@code java}, like the launcher's first thread,
     * which is the process's own id and is left out.
     */
    public List<String> classesLoadedBy(String name, Path classLog) throws IOException {
        String tid = null;
        try (var tasks = Files.list(Path.of("/proc/" + pid() + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                if (Files.readString(t.resolve("comm")).trim().equals(name) && !t.getFileName().toString().equals(Long.toString(pid()))) {
                    tid = t.getFileName().toString();
                }
            }
        }
        org.junit.jupiter.api.Assertions.assertNotNull(tid, "no thread " + name + ": " + describe());
        String prefix = "[" + tid + "]";
        List<String> lines = Files.readAllLines(classLog).stream().filter(l -> l.startsWith(prefix)).toList();
        org.junit.jupiter.api.Assertions.assertFalse(lines.isEmpty(), "no class loading of thread " + name + " in " + classLog);
        return lines;
    }

    /** A client for this process's API socket {@code sock}, once it accepts connections (fails the test if the process ends first). */
    public UnixHttpClient api(Path sock) throws InterruptedException {
        org.junit.jupiter.api.Assertions.assertTrue(UnixHttpClient.awaitListening(sock, this::isAlive), describe());
        return new UnixHttpClient(sock, UnixHttpClient.READ_TIMEOUT, this::describeStalled);
    }

    /** Output and kernel-side threads (and a thread dump into stderr) of a process that did not answer. */
    private String describeStalled() {
        try {
            String threads = stalledThreads();
            return describe() + threads;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return describe();
        }
    }

    /** The process's anonymous resident memory (RssAnon of /proc/PID/status), in KiB. */
    public long rssAnonKib() throws IOException {
        for (String line : Files.readAllLines(java.nio.file.Path.of("/proc/" + pid() + "/status"))) {
            if (line.startsWith("RssAnon:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IOException("no RssAnon in /proc/" + pid() + "/status");
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits until stdout matches {@code regex}; fails with both streams in the message if not. */
    public Matcher awaitStdout(String regex, Duration timeout) throws InterruptedException {
        Pattern p = Pattern.compile(regex, Pattern.MULTILINE);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Matcher m = p.matcher(stdout());
            if (m.find()) {
                return m;
            }
            if (!process.isAlive() || System.nanoTime() > deadline) {
                drain(outPump);
                m = p.matcher(stdout());
                if (m.find()) {
                    return m;
                }
                String threads = stalledThreads();
                throw new AssertionError("ember never printed /" + regex + "/ (" + (process.isAlive() ? "timed out" : "exited "
                        + process.exitValue()) + ")\n--- stdout ---\n" + stdout() + "\n--- stderr ---\n" + stderr + threads);
            }
            Thread.sleep(20);
        }
    }

    /** Waits until stderr (the VMM log) matches {@code regex}. */
    public Matcher awaitStderr(String regex, Duration timeout) throws InterruptedException {
        Pattern p = Pattern.compile(regex, Pattern.MULTILINE);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Matcher m = p.matcher(stderr);
            if (m.find()) {
                return m;
            }
            if (!process.isAlive() || System.nanoTime() > deadline) {
                drain(errPump);
                m = p.matcher(stderr);
                if (m.find()) {
                    return m;
                }
                throw new AssertionError("ember never logged /" + regex + "/\n--- stdout ---\n" + stdout() + "\n--- stderr ---\n" + stderr);
            }
            Thread.sleep(20);
        }
    }

    public void type(String text) throws IOException {
        OutputStream in = process.getOutputStream();
        in.write(text.getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    /** Sends SIGTERM, as a user's kill or a service manager does. */
    public void terminate() {
        process.destroy();
    }

    /** Waits for the process to end and returns its exit status; fails with the output if it does not. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            String threads = stalledThreads();
            process.destroyForcibly();
            throw new AssertionError("ember did not exit within " + timeout + "\n--- stdout ---\n" + stdout() + "\n--- stderr ---\n" + stderr
                    + threads);
        }
        drain(outPump);
        drain(errPump);
        return process.exitValue();
    }

    /**
     * Lets {@code pump} take in what the process wrote: the pipe still holds its last output when
     * it exits, and a pump the host has not scheduled yet would leave it out of {@link #stdout()}
     * and {@link #stderr()}. After the exit the pump ends at end of file, so the bound ({@link
     * #DRAIN_AFTER_EXIT}) only guards against a child that kept the pipe open; while the process
     * runs there is no end to wait for.
     */
    private void drain(Thread pump) throws InterruptedException {
        pump.join(process.isAlive() ? 1000 : DRAIN_AFTER_EXIT.toMillis());
    }

    private static final Duration DRAIN_AFTER_EXIT = Duration.ofSeconds(30);

    /**
     * Where the still-running process's threads are when a wait for it ran out — in the kernel (state,
     * wait channel, kernel stack: a vCPU in KVM_RUN or not) and in Java (a thread dump by SIGQUIT, which
     * the JVM writes to stderr, so it lands in {@link #stderr()}): the evidence a stalled guest leaves,
     * taken before the process is killed. Empty when the process has ended.
     */
    private String stalledThreads() throws InterruptedException {
        if (!process.isAlive()) {
            return "";
        }
        String threads = "\n--- threads in the kernel (/proc/" + pid() + "/task) ---\n" + kernelThreads(pid());
        int dumpsBefore = count(stderr.toString(), DUMP_END);
        try {
            new ProcessBuilder("kill", "-QUIT", Long.toString(pid())).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            return threads + "(no thread dump: " + e.getMessage() + ")\n";
        }
        // The JVM writes the dump from its signal thread once its threads reach a safepoint, which a
        // loaded host delays: wait for the dump's last line (a bound only; a process that cannot
        // reach a safepoint leaves its kernel stacks above to speak for it).
        long deadline = System.nanoTime() + DUMP_WAIT.toNanos();
        while (count(stderr.toString(), DUMP_END) <= dumpsBefore && process.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return threads;
    }

    /** The last line of a HotSpot thread dump ("JNI global refs: 23, weak refs: 0"). */
    private static final String DUMP_END = "JNI global refs: ";
    /** How long a stalled process's thread dump is waited for: a bound only. */
    private static final Duration DUMP_WAIT = Duration.ofSeconds(20);

    private static int count(String text, String what) {
        int n = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + what.length())) {
            n++;
        }
        return n;
    }

    /** Each thread of {@code pid}: id, name, state, CPU ticks, wait channel and kernel stack (the stack needs root). */
    public static String kernelThreads(long pid) {
        StringBuilder out = new StringBuilder();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : tasks.sorted().toList()) {
                // stat: "tid (comm) state ppid ... utime(14) stime(15)"; comm may hold spaces.
                String stat = readProc(t.resolve("stat")).trim();
                int close = stat.lastIndexOf(')');
                String[] f = close < 0 || close + 2 > stat.length() ? new String[0] : stat.substring(close + 2).split(" ");
                out.append("  tid ").append(t.getFileName()).append(' ').append(readProc(t.resolve("comm")).trim())
                        .append(" state=").append(f.length > 0 ? f[0] : "?")
                        .append(" utime=").append(f.length > 12 ? f[11] : "?").append(" stime=").append(f.length > 13 ? f[12] : "?")
                        .append(" wchan=").append(readProc(t.resolve("wchan")).trim()).append('\n');
                String stack = readProc(t.resolve("stack")).trim();
                if (!stack.isEmpty()) {
                    out.append("    ").append(stack.replace("\n", "\n    ")).append('\n');
                }
            }
        } catch (IOException e) {
            out.append("  (gone: ").append(e.getMessage()).append(")\n");
        }
        return out.toString();
    }

    /** A /proc (or any) file's text, or "" when it cannot be read. */
    public static String readProc(Path p) {
        try {
            return Files.readString(p, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }

    /** Waits up to {@code timeout} for the process to end; false if it is still running. */
    public boolean awaitExitQuietly(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public String describe() {
        return "--- stdout ---\n" + stdout() + "\n--- stderr ---\n" + stderr;
    }

    @Override
    public void close() {
        LIVE.remove(this);
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
