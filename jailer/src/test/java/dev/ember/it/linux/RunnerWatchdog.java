package dev.ember.it.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Ends a {@link NestedRunner} that is itself stuck. A test that overruns its limit is abandoned and
 * reported within that limit plus the hang report's bound, so a results file that stops growing
 * for longer than both means the runner's own thread is blocked, as it was once during
 * LinuxUffdSnapshotIT (L1 idle, one task blocked, no event for 12 minutes, no hang report). The
 * watchdog then writes the runner's threads (Java stacks and each thread's kernel state) to
 * {@code runner-stuck-<pid>.txt} beside the hang reports and halts the JVM with {@link #EXIT}, so
 * the tier boots the next L1 at once instead of waiting out its own stall limit.
 */
final class RunnerWatchdog {
    static final int EXIT = 3;
    private static final Pattern JUNIT_DURATION = Pattern.compile("\\s*(\\d+)\\s*(ms|s|m|h)?\\s*");

    private RunnerWatchdog() {}

    /** Quiet time after which the runner counts as stuck: the test limit, the report's bound and a minute. */
    static Duration quietLimit(String testLimit) {
        return parse(testLimit).plusMillis(HangReport.GATHER_LIMIT_MS).plusMinutes(1);
    }

    /** A JUnit timeout duration ("8 m", "90 s", "500 ms", "2 h"; no unit means seconds). */
    static Duration parse(String junitDuration) {
        Matcher m = JUNIT_DURATION.matcher(junitDuration);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a JUnit duration: '" + junitDuration + "' (e.g. '8 m', '90 s')");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
    }

    static void start(NestedResults results, Path dir, Duration quiet) {
        Thread t = new Thread(() -> watch(results, dir, quiet), "runner-watchdog");
        t.setDaemon(true);
        t.start();
    }

    private static void watch(NestedResults results, Path dir, Duration quiet) {
        long size = results.size();
        long lastChange = System.nanoTime();
        while (true) {
            try {
                Thread.sleep(5_000);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            long s = results.size();
            if (s != size) {
                size = s;
                lastChange = now;
            } else if (now - lastChange > quiet.toNanos()) {
                // The file and the message both go over L1's 9p shares, which may be what is stuck
                // (a task waiting in p9_client_rpc): the halt must not depend on them.
                Thread halt = new Thread(() -> {
                    try {
                        Thread.sleep(30_000);
                    } catch (InterruptedException e) {
                        // Halting anyway.
                    }
                    Runtime.getRuntime().halt(EXIT);
                }, "runner-watchdog-halt");
                halt.setDaemon(true);
                halt.start();
                Path file = dir.resolve("runner-stuck-" + ProcessHandle.current().pid() + ".txt");
                try {
                    Files.createDirectories(dir);
                    Files.writeString(file, describe(quiet), StandardCharsets.UTF_8);
                } catch (IOException | RuntimeException e) {
                    System.out.println("nested-runner: could not write " + file + ": " + e);
                }
                System.out.println("nested-runner: no result for " + quiet.toSeconds() + " s: the runner is stuck (its threads: "
                        + file + "); ending it with exit " + EXIT);
                System.out.flush();
                Runtime.getRuntime().halt(EXIT);
            }
        }
    }

    private static String describe(Duration quiet) {
        StringBuilder out = new StringBuilder("runner stuck: no result for ").append(quiet.toSeconds()).append(" s, ")
                .append(Instant.now()).append('\n');
        for (Map.Entry<Thread, StackTraceElement[]> t : Thread.getAllStackTraces().entrySet()) {
            out.append('"').append(t.getKey().getName()).append("\" ").append(t.getKey().getState()).append('\n');
            for (StackTraceElement f : t.getValue()) {
                out.append("    at ").append(f).append('\n');
            }
        }
        out.append("\n== this JVM's threads in the kernel (/proc/self/task) ==\n");
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.sorted().toList()) {
                out.append(task.getFileName()).append(' ').append(HangReport.read(task.resolve("comm")).trim())
                        .append(" wchan=").append(HangReport.read(task.resolve("wchan")).trim()).append('\n');
                String stack = HangReport.read(task.resolve("stack")).trim();
                if (!stack.isEmpty()) {
                    out.append("    ").append(stack.replace("\n", "\n    ")).append('\n');
                }
            }
        } catch (IOException e) {
            out.append("(").append(e.getMessage()).append(")\n");
        }
        return out.toString();
    }
}
