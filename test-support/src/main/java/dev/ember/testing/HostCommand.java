package dev.ember.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A host command a test runs (ip, mount, debugfs, curl, ...), bounded in time. Its output goes
 * to a file, not a pipe read before the wait: a pipe read returns only when every process holding
 * the pipe has ended, so a hung command, or a daemon it left holding the pipe, would hang the test
 * with it, whatever the wait's timeout said.
 */
public final class HostCommand {
    /** A finished command: its exit status (-1 when it was killed at its time limit) and its output, stdout and stderr merged. */
    public record Result(int exit, String output) {
        public boolean ok() {
            return exit == 0;
        }
    }

    private HostCommand() {}

    public static Result run(Duration limit, String... cmd) throws IOException, InterruptedException {
        return run(limit, List.of(cmd));
    }

    /** Runs {@code cmd} for at most {@code limit}; on the limit it and its children are killed. */
    public static Result run(Duration limit, List<String> cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile("ember-cmd", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            boolean ended;
            try {
                ended = p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
            } finally {
                if (p.isAlive()) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                }
            }
            String text = Files.readString(out, StandardCharsets.UTF_8).trim();
            return ended ? new Result(p.exitValue(), text)
                    : new Result(-1, String.join(" ", cmd) + " did not end within " + limit + "; its output: " + text);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Runs {@code cmd}; its output, or an IOException naming the command, its status and output. */
    public static String runChecked(Duration limit, List<String> cmd) throws IOException, InterruptedException {
        Result r = run(limit, cmd);
        if (!r.ok()) {
            throw new IOException(String.join(" ", cmd) + " failed (exit " + r.exit() + "): " + r.output());
        }
        return r.output();
    }
}
