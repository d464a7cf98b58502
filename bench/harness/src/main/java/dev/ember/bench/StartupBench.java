package dev.ember.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Start-up: from spawning the process to its control socket answering (Ember: {@code GET /}
 * returns 200; QEMU: the QMP greeting), plus the CPU time the process used to get there and
 * its memory at that moment. Subjects are interleaved run by run so drift in the machine's load
 * spreads evenly over them; the first runs of each are warm-ups (page cache) and not counted.
 */
public final class StartupBench {
    static final String SECTION = "start-up (spawn -> control socket answers)";
    private static final long TIMEOUT_MS = 60_000;

    /** One start-up: wall and CPU milliseconds to ready, memory and threads at ready. */
    record Sample(double wallMs, double cpuMs, double schedMs, double rssKb, double pssKb, double threads) {}

    private StartupBench() {}

    public static void run(Env env, Results res, List<Subject> subjects, int runs, int warmups) throws InterruptedException {
        Map<Subject, List<Sample>> samples = new LinkedHashMap<>();
        Map<Subject, String> failures = new LinkedHashMap<>();
        for (Subject s : subjects) {
            samples.put(s, new ArrayList<>());
        }
        for (int i = 0; i < warmups + runs; i++) {
            for (Subject s : subjects) {
                if (failures.containsKey(s)) {
                    continue;
                }
                try {
                    Sample x = once(env, s);
                    if (i >= warmups) {
                        samples.get(s).add(x);
                    }
                } catch (IOException e) {
                    failures.put(s, e.getMessage());
                }
                Thread.sleep(100);
            }
        }
        for (Subject s : subjects) {
            if (failures.containsKey(s)) {
                res.skip(SECTION, "wall to ready", s.name(), firstLine(failures.get(s)));
                continue;
            }
            List<Sample> l = samples.get(s);
            res.add(SECTION, "wall to ready", s.name(), "ms", l.stream().mapToDouble(Sample::wallMs).toArray(), s.description());
            res.add(SECTION, "CPU to ready (stat utime+stime+children)", s.name(), "ms",
                    l.stream().mapToDouble(Sample::cpuMs).toArray(), "10 ms ticks");
            res.add(SECTION, "CPU to ready (schedstat, live threads)", s.name(), "ms",
                    l.stream().mapToDouble(Sample::schedMs).toArray(), "");
            res.add(SECTION, "RSS at ready", s.name(), "MiB", l.stream().mapToDouble(x -> x.rssKb() / 1024).toArray(), "");
            res.add(SECTION, "PSS at ready", s.name(), "MiB", l.stream().mapToDouble(x -> x.pssKb() / 1024).toArray(), "");
            res.add(SECTION, "threads at ready", s.name(), "", l.stream().mapToDouble(Sample::threads).toArray(), "");
        }
    }

    static String firstLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    static Sample once(Env env, Subject s) throws IOException, InterruptedException {
        Path sock = env.work.resolve(s.name() + ".sock");
        Files.deleteIfExists(sock);
        try (Child c = Child.start(s.command().apply(sock), env.repoDir(), s.env())) {
            awaitReady(c, s, sock, TIMEOUT_MS);
            long t1 = System.nanoTime();
            double cpu = ProcStat.cpuMillis(c.pid());
            double sched = ProcStat.schedMillis(c.pid());
            Map<String, Long> mem = Smaps.rollup(c.pid());
            int threads = ProcStat.threads(c.pid());
            return new Sample((t1 - c.startNanos()) / 1e6, cpu, sched, mem.getOrDefault("Rss", 0L),
                    mem.getOrDefault("Pss", 0L), threads);
        } finally {
            Files.deleteIfExists(sock);
        }
    }

    /** Polls the control socket every 0.2 ms until it answers; fails if the process dies. */
    static void awaitReady(Child c, Subject s, Path sock, long timeoutMs) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        IOException last = null;
        while (true) {
            if (Files.exists(sock)) {
                try {
                    s.probe(sock);
                    return;
                } catch (IOException e) {
                    last = e;
                }
            }
            if (!c.isAlive()) {
                c.waitFor(1000);
                throw new IOException(s.name() + " exited before its socket answered\n" + c.describe());
            }
            if (System.nanoTime() > deadline) {
                throw new IOException(s.name() + " did not answer on " + sock + " within " + timeoutMs + " ms"
                        + (last == null ? "" : " (last error: " + last.getMessage() + ")") + "\n" + c.describe());
            }
            LockSupport.parkNanos(200_000);
        }
    }
}
