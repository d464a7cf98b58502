package dev.ember.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * API soak: N connections storm the control plane for a while; the process's RSS, open fds,
 * threads and the p99 latency of the first window are compared with the last window's (a leak
 * or a slowing server shows as growth). Ember: N keep-alive connections, each alternating
 * {@code GET /} and {@code PUT /machine-config} and reconnecting every {@value #RECONNECT_EVERY}
 * requests (connection churn). Peer: QEMU's QMP serves one client at a time, so its storm is
 * one connection of {@code query-status} for the same time.
 */
final class SoakBench {
    static final String SECTION = "API soak (storm, first window vs last window)";
    static final int RECONNECT_EVERY = 500;

    private SoakBench() {}

    static void run(Env env, Results res, int seconds, int connections, boolean ember, boolean peer) throws InterruptedException {
        if (ember) {
            Subject s = Subject.emberScript(env);
            Path sock = env.work.resolve("soak.sock");
            try (Child c = Child.start(s.command().apply(sock), env.repoDir(), s.env())) {
                StartupBench.awaitReady(c, s, sock, 60_000);
                storm(res, "ember", c.pid(), seconds, connections, () -> new EmberClient(sock));
            } catch (IOException e) {
                res.skip(SECTION, "requests/s", "ember", StartupBench.firstLine(e.getMessage()));
            }
        } else {
            res.skip(SECTION, "requests/s", "ember", env.emberMissing());
        }
        if (peer && env.qemu != null) {
            Subject q = Subject.qemu(env);
            Path sock = env.work.resolve("soak.qmp");
            try (Child c = Child.start(q.command().apply(sock), env.repoDir(), Map.of())) {
                StartupBench.awaitReady(c, q, sock, 60_000);
                storm(res, "qemu", c.pid(), seconds, 1, () -> new QmpStormClient(sock));
            } catch (IOException e) {
                res.skip(SECTION, "requests/s", "qemu", StartupBench.firstLine(e.getMessage()));
            }
        }
    }

    interface StormClient extends AutoCloseable {
        /** One request and its answer; false if the answer was not a success. */
        boolean call(int i) throws IOException;

        @Override
        void close() throws IOException;
    }

    interface ClientFactory {
        StormClient open() throws IOException;
    }

    private static final class EmberClient implements StormClient {
        private static final ByteBuffer GET = UnixHttpClient.request("GET", "/", null);
        private static final ByteBuffer PUT = UnixHttpClient.request("PUT", "/machine-config", ApiBench.MACHINE_CONFIG);
        private final Path sock;
        private UnixHttpClient http;

        EmberClient(Path sock) throws IOException {
            this.sock = sock;
            this.http = UnixHttpClient.connect(sock);
        }

        @Override
        public boolean call(int i) throws IOException {
            if (i > 0 && i % RECONNECT_EVERY == 0) {
                http.close();
                http = UnixHttpClient.connect(sock);
            }
            boolean get = (i & 1) == 0;
            UnixHttpClient.Response r = http.send((get ? GET : PUT).duplicate());
            return r.status() == (get ? 200 : 204);
        }

        @Override
        public void close() throws IOException {
            http.close();
        }
    }

    private static final class QmpStormClient implements StormClient {
        private final QmpClient qmp;

        QmpStormClient(Path sock) throws IOException {
            qmp = QmpClient.connect(sock);
            qmp.execute("qmp_capabilities");
        }

        @Override
        public boolean call(int i) throws IOException {
            qmp.execute("query-status");
            return true;
        }

        @Override
        public void close() throws IOException {
            qmp.close();
        }
    }

    /** What one process looked like at a moment of the storm. */
    record Snapshot(double rssKib, int fds, int threads) {
        static Snapshot of(long pid) throws IOException {
            long rss = 0;
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            int fds;
            try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
                fds = (int) s.count();
            }
            return new Snapshot(rss, fds, ProcStat.threads(pid));
        }
    }

    static void storm(Results res, String subject, long pid, int seconds, int connections, ClientFactory factory)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        long end = t0 + seconds * 1_000_000_000L;
        // The first and the last tenth of the run are the windows compared (after a short warm-up).
        long warm = t0 + Math.min(5_000_000_000L, seconds * 100_000_000L);
        long window = seconds * 100_000_000L;
        AtomicLong requests = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        List<double[]> early = new ArrayList<>();
        List<double[]> late = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        Snapshot[] start = new Snapshot[1];
        for (int t = 0; t < connections; t++) {
            double[][] mine = {new double[1 << 16], new double[1 << 16]};
            int[] counts = new int[2];
            early.add(null);
            late.add(null);
            int slot = t;
            Thread w = new Thread(() -> {
                try (StormClient c = factory.open()) {
                    for (int i = 0; System.nanoTime() < end; i++) {
                        long a = System.nanoTime();
                        boolean ok = c.call(i);
                        long b = System.nanoTime();
                        requests.incrementAndGet();
                        if (!ok) {
                            failures.incrementAndGet();
                        }
                        int which = a >= warm && a < warm + window ? 0 : a >= end - window ? 1 : -1;
                        if (which >= 0 && counts[which] < mine[which].length) {
                            mine[which][counts[which]++] = (b - a) / 1e3;
                        }
                    }
                } catch (IOException e) {
                    failures.incrementAndGet();
                }
                synchronized (early) {
                    early.set(slot, Arrays.copyOf(mine[0], counts[0]));
                    late.set(slot, Arrays.copyOf(mine[1], counts[1]));
                }
            }, "soak-" + t);
            threads.add(w);
            w.start();
        }
        Thread.sleep(Math.max(0, (warm - System.nanoTime()) / 1_000_000));
        start[0] = Snapshot.of(pid);
        Thread.sleep(Math.max(0, (end - 1_000_000_000L - System.nanoTime()) / 1_000_000));
        Snapshot last = Snapshot.of(pid);
        for (Thread w : threads) {
            w.join();
        }
        String note = connections + " connection(s), " + seconds + " s";
        res.add(SECTION, "requests/s", subject, "req/s", new double[] {requests.get() / (double) seconds}, note);
        res.add(SECTION, "failed requests", subject, "count", new double[] {failures.get()}, "");
        res.add(SECTION, "RSS at start", subject, "KiB", new double[] {start[0].rssKib()}, "");
        res.add(SECTION, "RSS at end", subject, "KiB", new double[] {last.rssKib()}, "");
        res.add(SECTION, "open fds at start", subject, "count", new double[] {start[0].fds()}, "");
        res.add(SECTION, "open fds at end", subject, "count", new double[] {last.fds()}, "");
        res.add(SECTION, "threads at start", subject, "count", new double[] {start[0].threads()}, "");
        res.add(SECTION, "threads at end", subject, "count", new double[] {last.threads()}, "");
        res.add(SECTION, "latency, first window", subject, "us", concat(early), "p99 is the figure to compare");
        res.add(SECTION, "latency, last window", subject, "us", concat(late), "");
    }

    private static double[] concat(List<double[]> parts) {
        return parts.stream().filter(p -> p != null).flatMapToDouble(Arrays::stream).toArray();
    }
}
