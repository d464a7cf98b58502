package dev.ember.it.linux;

import dev.ember.it.EmberProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What L1 looked like when a test hit the nested tier's time limit: every process the test
 * started (its state, where each thread waits in the kernel, the kernel stack), a JVM thread dump
 * of each Java process among them (SIGQUIT: bin/ember sends the JVM's own output to stderr), the
 * console and log tails of each live {@link EmberProcess}, this runner's own threads (the
 * abandoned test thread among them) and L1's kernel log. Issue 10 treats every hang as a bug
 * until shown otherwise; this is the evidence to find it with. The processes are then killed so
 * that the next test starts on a quiet L1.
 */
final class HangReport {
    private static final int OUTPUT_TAIL = 48 * 1024;
    /**
     * How long gathering may take. Some of its /proc reads wait on the process they read (its
     * command line, under that process's memory-map lock), so a process stuck with that lock held
     * would stall the whole runner; in session 9 a runner went silent during LinuxUffdSnapshotIT
     * with L1 idle and one task blocked, and nothing more was reported until the tier gave that L1
     * up 12 minutes later.
     */
    static final long GATHER_LIMIT_MS = 90_000;

    private HangReport() {}

    /**
     * Writes the report for {@code test} into {@code dir} and says where, within {@link
     * #GATHER_LIMIT_MS}: when gathering is still blocked by then, the file holds what was gathered,
     * the gathering thread's stack (which read blocked), and the test's Ember processes are killed.
     */
    static String write(Path dir, String test, int attempt) {
        Path file = dir.resolve(test.replaceAll("[^A-Za-z0-9._-]", "_") + "-attempt" + attempt + ".txt");
        StringBuffer out = new StringBuffer();
        Object[] outcome = new Object[1];
        Thread gatherer = new Thread(() -> {
            try {
                gather(file, test, attempt, out);
                synchronized (outcome) {
                    outcome[0] = file;
                }
            } catch (IOException | RuntimeException e) {
                synchronized (outcome) {
                    outcome[0] = e;
                }
            }
        }, "hang-report");
        gatherer.setDaemon(true);
        gatherer.start();
        try {
            gatherer.join(GATHER_LIMIT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (outcome) {
            if (outcome[0] instanceof Path) {
                return file.toString();
            }
            if (outcome[0] != null) {
                return "(no hang report: " + outcome[0] + ")";
            }
        }
        StringBuilder where = new StringBuilder();
        for (StackTraceElement f : gatherer.getStackTrace()) {
            where.append("\n    at ").append(f);
        }
        for (EmberProcess e : EmberProcess.live()) {
            e.close();
        }
        String blocked = "gathering was still blocked after " + GATHER_LIMIT_MS / 1000 + " s (the test's Ember processes were then killed):" + where;
        try {
            Files.createDirectories(dir);
            Files.writeString(file, out + "\n== " + blocked + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no hang report: " + e.getMessage() + "; " + blocked + ")";
        }
        return file + " (" + blocked.lines().limit(3).reduce((a, b) -> a + " " + b.trim()).orElse("") + ")";
    }

    private static void gather(Path file, String test, int attempt, StringBuffer out) throws IOException {
        Files.createDirectories(file.getParent());
        out.append("hang report: ").append(test).append(", attempt ").append(attempt).append(", ").append(Instant.now()).append('\n');
        out.append("L1 uptime: ").append(read(Path.of("/proc/uptime"))).append("L1 load: ").append(read(Path.of("/proc/loadavg")));
        List<ProcessHandle> procs;
        try (Stream<ProcessHandle> s = ProcessHandle.current().descendants()) {
            procs = s.toList();
        }
        for (ProcessHandle p : procs) {
            if (p.info().command().orElse("").endsWith("/java")) {
                signalQuit(p.pid());
            }
        }
        sleep(3000);
        out.append("\n== processes started by the test (").append(procs.size()).append(") ==\n");
        for (ProcessHandle p : procs) {
            describeProcess(p.pid(), out);
        }
        out.append("\n== live ember processes: output tails (a JVM thread dump was requested by SIGQUIT) ==\n");
        for (EmberProcess e : EmberProcess.live()) {
            if (!e.isAlive()) {
                continue;
            }
            out.append("--- ember pid ").append(e.pid()).append(" stdout (guest console) ---\n").append(tail(e.stdout()));
            out.append("\n--- ember pid ").append(e.pid()).append(" stderr (VMM log) ---\n").append(tail(e.stderr())).append('\n');
        }
        out.append("\n== this runner's threads ==\n");
        for (Map.Entry<Thread, StackTraceElement[]> t : Thread.getAllStackTraces().entrySet()) {
            out.append('"').append(t.getKey().getName()).append("\" ").append(t.getKey().getState()).append('\n');
            for (StackTraceElement f : t.getValue()) {
                out.append("    at ").append(f).append('\n');
            }
        }
        out.append("\n== L1 kernel log (tail) ==\n").append(command(List.of("dmesg"), 80));
        Files.writeString(file, out, StandardCharsets.UTF_8);
        for (ProcessHandle p : procs) {
            p.destroyForcibly();
        }
    }

    private static void describeProcess(long pid, StringBuffer out) {
        out.append("\n-- pid ").append(pid).append(": ").append(read(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ').trim())
                .append('\n').append(EmberProcess.kernelThreads(pid));
    }

    private static void signalQuit(long pid) {
        try {
            new ProcessBuilder("kill", "-QUIT", Long.toString(pid)).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // The report says what it could gather.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String command(List<String> cmd, int lastLines) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            List<String> lines = text.lines().toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - lastLines), lines.size())) + "\n";
        } catch (IOException e) {
            return "(" + String.join(" ", cmd) + ": " + e.getMessage() + ")\n";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)\n";
        }
    }

    private static String tail(String s) {
        return s.length() <= OUTPUT_TAIL ? s : "[... " + (s.length() - OUTPUT_TAIL) + " chars before]\n" + s.substring(s.length() - OUTPUT_TAIL);
    }

    /** A /proc (or any) file's text, or "" when it cannot be read. */
    static String read(Path p) {
        return EmberProcess.readProc(p);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
