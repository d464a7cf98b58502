package dev.ember.bench;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A process under measurement. Its stdout and stderr are collected by pump threads that also
 * note (System.nanoTime, i.e. CLOCK_MONOTONIC, the clock the JVM under test uses too) when the
 * first stdout byte arrived, so boot latency can be taken from outside the VMM.
 */
public final class Child implements AutoCloseable {
    private final Process process;
    private final long startNanos;
    private final StringBuffer out = new StringBuffer();
    private final StringBuffer err = new StringBuffer();
    private volatile long firstOutNanos;
    /** (end offset in stdout, arrival nanos) per chunk read, to time when a match arrived. */
    private final java.util.List<long[]> outChunks = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    private final Thread outPump;
    private final Thread errPump;

    private Child(Process process, long startNanos) {
        this.process = process;
        this.startNanos = startNanos;
        this.outPump = pump(process.getInputStream(), out, true);
        this.errPump = pump(process.getErrorStream(), err, false);
    }

    /** Starts {@code command} in {@code dir}; {@code env} entries are added to the environment. */
    public static Child start(List<String> command, File dir, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir);
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        return new Child(pb.start(), t0);
    }

    private Thread pump(InputStream in, StringBuffer sink, boolean stdout) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    long now = System.nanoTime();
                    if (stdout && firstOutNanos == 0) {
                        firstOutNanos = now;
                    }
                    synchronized (sink) {
                        sink.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                        if (stdout) {
                            outChunks.add(new long[] {sink.length(), now});
                        }
                    }
                }
            } catch (IOException e) {
                // process gone; what was read stays in the sink
            }
        }, stdout ? "child-stdout" : "child-stderr");
        t.setDaemon(true);
        t.start();
        return t;
    }

    public long pid() {
        return process.pid();
    }

    /** System.nanoTime just before the process was spawned. */
    public long startNanos() {
        return startNanos;
    }

    /** System.nanoTime of the first stdout byte, or 0 if none yet. */
    public long firstOutNanos() {
        return firstOutNanos;
    }

    /** System.nanoTime at which stdout up to character {@code offset} had arrived. */
    public long stdoutArrival(int offset) {
        synchronized (outChunks) {
            for (long[] c : outChunks) {
                if (c[0] >= offset) {
                    return c[1];
                }
            }
        }
        return System.nanoTime();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String stdout() {
        return out.toString();
    }

    public String stderr() {
        return err.toString();
    }

    /** Polls stdout (or stderr) for {@code regex}; returns the match, or throws with both streams. */
    public Matcher await(boolean onStdout, String regex, long timeoutMillis) throws IOException, InterruptedException {
        Pattern p = Pattern.compile(regex, Pattern.MULTILINE);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            Matcher m = p.matcher(onStdout ? out : err);
            if (m.find()) {
                return m;
            }
            if (!process.isAlive() || System.nanoTime() > deadline) {
                (onStdout ? outPump : errPump).join(500);
                m = p.matcher(onStdout ? out : err);
                if (m.find()) {
                    return m;
                }
                throw new IOException("never saw /" + regex + "/ on " + (onStdout ? "stdout" : "stderr") + " ("
                        + (process.isAlive() ? "timed out" : "exited " + process.exitValue()) + ")\n" + describe());
            }
            Thread.sleep(2);
        }
    }

    public String describe() {
        return "--- stdout (tail) ---\n" + tail(out.toString()) + "\n--- stderr (tail) ---\n" + tail(err.toString());
    }

    private static String tail(String s) {
        return s.length() <= 2000 ? s : "..." + s.substring(s.length() - 2000);
    }

    /** Sends SIGTERM without waiting. */
    public void terminate() {
        process.destroy();
    }

    /** SIGTERM, then SIGKILL after {@code graceMillis}; returns the exit status. */
    public int stop(long graceMillis) throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(graceMillis, TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
        return process.isAlive() ? -1 : process.exitValue();
    }

    public int waitFor(long timeoutMillis) throws InterruptedException {
        if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
            return -1;
        }
        outPump.join(1000);
        errPump.join(1000);
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        stop(2000);
    }
}
