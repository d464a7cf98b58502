package dev.ember.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * API latency before boot: {@code GET /} and {@code PUT /machine-config} over Ember's Unix
 * socket, from a Java client (one keep-alive connection, request bytes prepared in advance) and
 * from curl (one curl process making all requests on one connection; curl's own
 * time_total per request). The peer's control-plane round trip is a QMP {@code query-status}.
 */
final class ApiBench {
    static final String SECTION = "API latency, pre-boot (keep-alive connection)";
    static final String MACHINE_CONFIG = "{\"vcpu_count\":1,\"mem_size_mib\":128}";

    private ApiBench() {}

    static void run(Env env, Results res, int requests, int warmup, boolean ember, boolean peer) throws InterruptedException {
        if (ember) {
            Subject s = Subject.emberScript(env);
            Path sock = env.work.resolve("api.sock");
            try (Child c = Child.start(s.command().apply(sock), env.repoDir(), s.env())) {
                StartupBench.awaitReady(c, s, sock, 60_000);
                try (UnixHttpClient http = UnixHttpClient.connect(sock)) {
                    ByteBuffer get = UnixHttpClient.request("GET", "/", null);
                    ByteBuffer put = UnixHttpClient.request("PUT", "/machine-config", MACHINE_CONFIG);
                    res.add(SECTION, "GET / (Java client)", "ember", "us", time(http, get, 200, requests, warmup), "");
                    res.add(SECTION, "PUT /machine-config (Java client)", "ember", "us", time(http, put, 204, requests, warmup), "");
                }
                res.add(SECTION, "GET / (curl)", "ember", "us", curl(env, sock, "GET", null, requests), "curl -w time_total");
                res.add(SECTION, "PUT /machine-config (curl)", "ember", "us", curl(env, sock, "PUT", MACHINE_CONFIG, requests), "");
            } catch (IOException e) {
                res.skip(SECTION, "GET / (Java client)", "ember", StartupBench.firstLine(e.getMessage()));
            }
        } else {
            res.skip(SECTION, "GET / (Java client)", "ember", env.emberMissing());
        }
        if (peer && env.qemu != null) {
            Subject q = Subject.qemu(env);
            Path sock = env.work.resolve("api.qmp");
            try (Child c = Child.start(q.command().apply(sock), env.repoDir(), Map.of())) {
                StartupBench.awaitReady(c, q, sock, 60_000);
                try (QmpClient qmp = QmpClient.connect(sock)) {
                    qmp.execute("qmp_capabilities");
                    double[] us = new double[requests];
                    for (int i = 0; i < warmup + requests; i++) {
                        long t0 = System.nanoTime();
                        qmp.execute("query-status");
                        long t1 = System.nanoTime();
                        if (i >= warmup) {
                            us[i - warmup] = (t1 - t0) / 1e3;
                        }
                    }
                    res.add(SECTION, "GET / (Java client)", "qemu", "us", us, "peer: QMP query-status round trip");
                }
            } catch (IOException e) {
                res.skip(SECTION, "GET / (Java client)", "qemu", StartupBench.firstLine(e.getMessage()));
            }
        }
    }

    static double[] time(UnixHttpClient http, ByteBuffer req, int status, int n, int warmup) throws IOException {
        double[] us = new double[n];
        for (int i = 0; i < warmup + n; i++) {
            long t0 = System.nanoTime();
            UnixHttpClient.Response r = http.send(req);
            long t1 = System.nanoTime();
            if (r.status() != status) {
                throw new IOException("expected " + status + ", got " + r.status() + ": " + r.body());
            }
            if (i >= warmup) {
                us[i - warmup] = (t1 - t0) / 1e3;
            }
        }
        return us;
    }

    /** One curl process, {@code n} transfers on one connection (a config file with "next" between them). */
    static double[] curl(Env env, Path sock, String method, String body, int n) throws IOException {
        Path cfg = env.work.resolve("curl-" + method + ".cfg");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append("next\n");
            }
            // "next" resets per-transfer options, the Unix socket included: repeat it in each block.
            sb.append("unix-socket = \"").append(sock).append("\"\n");
            sb.append("url = \"http://localhost/").append(body == null ? "" : "machine-config").append("\"\n");
            sb.append("request = \"").append(method).append("\"\n");
            sb.append("output = \"/dev/null\"\n");
            sb.append("write-out = \"%{http_code} %{time_total}\\n\"\n");
            if (body != null) {
                sb.append("header = \"Content-Type: application/json\"\n");
                sb.append("data = \"").append(body.replace("\"", "\\\"")).append("\"\n");
            }
        }
        Files.writeString(cfg, sb.toString());
        List<String> out;
        try {
            out = Exec.lines(env.repo, "curl", "-sS", "--config", cfg.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        List<Double> us = new ArrayList<>();
        for (String line : out) {
            String[] f = line.trim().split(" ");
            if (f.length == 2) {
                if (!f[0].startsWith("2")) {
                    throw new IOException("curl " + method + " answered " + f[0]);
                }
                us.add(Double.parseDouble(f[1]) * 1e6);
            }
        }
        if (us.size() != n) {
            throw new IOException("curl reported " + us.size() + " of " + n + " transfers");
        }
        return us.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
