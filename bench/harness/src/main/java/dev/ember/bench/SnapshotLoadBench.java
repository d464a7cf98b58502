package dev.ember.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;

/**
 * Snapshot load in a process already at API-ready (issue 14's fast-path target): an idle test
 * guest of {@link MemoryBench#MEM_MIB} MiB is snapshotted once (not measured); each run starts a
 * fresh {@code ember --api-sock}, waits for {@code GET /} (every other run {@link #SETTLE_MILLIS}
 * more), then times {@code PUT /snapshot/load}
 * with {@code resume_vm} to its answer and to the vCPU's first {@code KVM_RUN} (the VMM's log
 * stamp, CLOCK_MONOTONIC like the harness's clock), and takes the CPU the process spent meanwhile.
 * With {@code --compare} the other checkout loads the same files alternately, run for run.
 * QEMU's peer figure (-incoming from a migration file) is in the nested tier's bench
 * ({@code bench/run --only nested}: spawn with a snapshot to the restored shell).
 */
final class SnapshotLoadBench {
    static final String SECTION = "snapshot load in a ready process (PUT /snapshot/load, resume_vm), idle test guest";

    /**
     * The second way a load is timed: once the process has settled after GET / (its JSON warm-up
     * done, compilers idle), as in a pool of processes started ahead. The first is a load sent as
     * GET / answers, as an orchestrator that starts the process for the load does.
     */
    static final long SETTLE_MILLIS = 1000;

    private SnapshotLoadBench() {}

    static void run(Env env, Env compare, Results res, int runs) throws InterruptedException {
        Path snap = env.work.resolve("snapload.state");
        Path mem = env.work.resolve("snapload.mem");
        try {
            makeSnapshot(env, snap, mem);
        } catch (IOException e) {
            res.skip(SECTION, "request -> response", "ember", "making the snapshot failed: " + StartupBench.firstLine(e.getMessage()));
            return;
        }
        List<Env> envs = compare == null ? List.of(env) : List.of(env, compare);
        // [subject][0: sent as GET / answers, 1: sent once the process has settled]
        List<List<List<double[]>>> samples = new ArrayList<>();
        envs.forEach(e -> samples.add(List.of(new ArrayList<>(), new ArrayList<>())));
        String err = null;
        for (int i = 0; i < runs && err == null; i++) {
            for (int when = 0; when < 2 && err == null; when++) {
                for (int k = 0; k < envs.size() && err == null; k++) {
                    try {
                        samples.get(k).get(when).add(load(envs.get(k), snap, mem, when == 0 ? 0 : SETTLE_MILLIS));
                    } catch (IOException e) {
                        err = StartupBench.firstLine(e.getMessage());
                    }
                }
            }
        }
        if (err != null) {
            res.skip(SECTION, "request -> response", "ember", err);
            return;
        }
        for (int when = 0; when < 2; when++) {
            String sent = when == 0 ? "" : ", settled";
            String note = when == 0 ? "sent as GET / answers" : "sent " + SETTLE_MILLIS + " ms after GET / answered";
            for (int k = 0; k < envs.size(); k++) {
                String who = k == 0 ? "ember" : Subject.COMPARE;
                List<double[]> s = samples.get(k).get(when);
                res.add(SECTION, "request -> response" + sent, who, "ms", BootBench.col(s, 0),
                        MemoryBench.MEM_MIB + " MiB, File backend, " + note);
                res.add(SECTION, "request -> first KVM_RUN" + sent, who, "ms", BootBench.col(s, 1), "the vCPU's log stamp");
                res.add(SECTION, "CPU during the load" + sent, who, "ms", BootBench.col(s, 2), "process utime+stime, 10 ms ticks");
            }
        }
        try {
            Files.deleteIfExists(snap);
            Files.deleteIfExists(mem);
        } catch (IOException e) {
            res.note("snapshot files left in " + env.work + ": " + e.getMessage());
        }
    }

    /** Boots the idle guest, lets it tick, pauses it and writes the snapshot. */
    private static void makeSnapshot(Env env, Path snap, Path mem) throws IOException, InterruptedException {
        try (Vms.Vm vm = Vms.emberApi(env, "snapload-src", "idle", MemoryBench.MEM_MIB, List.of())) {
            vm.child().await(true, Vms.TICK, 120_000);
            try (UnixHttpClient http = UnixHttpClient.connect(vm.socket())) {
                Vms.expect(http.send("PATCH", "/vm", "{\"state\":\"Paused\"}"), "PATCH /vm Paused");
                Vms.expect(http.send("PUT", "/snapshot/create", "{\"snapshot_path\":\"" + snap + "\",\"mem_file_path\":\"" + mem + "\"}"),
                        "PUT /snapshot/create");
            }
        }
    }

    /**
     * One load in a fresh process, sent {@code settleMillis} after {@code GET /} answers: {request -> response,
     * request -> first KVM_RUN, CPU during the load} in ms.
     */
    private static double[] load(Env env, Path snap, Path mem, long settleMillis) throws IOException, InterruptedException {
        Path sock = env.work.resolve("snapload.sock");
        Files.deleteIfExists(sock);
        Subject s = Subject.emberScript(env);
        try (Child c = Child.start(env.emberScript(List.of("--api-sock", sock.toString())), env.repoDir(), s.env())) {
            StartupBench.awaitReady(c, s, sock, 60_000);
            Thread.sleep(settleMillis);
            try (UnixHttpClient http = UnixHttpClient.connect(sock)) {
                double cpu0 = ProcStat.cpuMillis(c.pid());
                long t0 = System.nanoTime();
                Vms.expect(http.send("PUT", "/snapshot/load", "{\"snapshot_path\":\"" + snap + "\",\"mem_backend\":{\"backend_type\":\"File\","
                        + "\"backend_path\":\"" + mem + "\"},\"resume_vm\":true}"), "PUT /snapshot/load");
                long t1 = System.nanoTime();
                Matcher run = BootBench.FIRST_RUN.matcher(c.await(false, BootBench.FIRST_RUN.pattern(), 10_000).group());
                run.find();
                double cpu1 = ProcStat.cpuMillis(c.pid());
                return new double[] {(t1 - t0) / 1e6, (Long.parseLong(run.group(1)) - t0) / 1e6, cpu1 - cpu0};
            } catch (IOException | RuntimeException e) {
                throw new IOException(e.getMessage() + "\n" + c.describe(), e);
            }
        }
    }
}
