package dev.ember.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Density: N VMs (1 vCPU, 128 MiB, test guest {@code idle}) launched at once from config files,
 * and N configured through the API (QEMU: from its command line). Measures the time until every guest has printed, each VM's own
 * time to its first tick, the per-VM memory while all N run side by side (PSS divides shared
 * pages such as the CDS/AOT archive and libjvm among them), and the time to stop them all.
 */
final class DensityBench {
    static final String SECTION = "density (N VMs launched at once, test guest idle)";

    private DensityBench() {}

    interface Launcher {
        Vms.Vm launch(int index) throws IOException, InterruptedException;
    }

    /**
     * {@code compare} (bench/run --compare): another built checkout, whose VMs run as
     * {@code ember-compare} and {@code ember-compare-api}, each set right after this one's.
     */
    static void run(Env env, Env compare, Results res, List<Integer> counts, boolean ember, Path qemuGuest, String qemuWhy)
            throws InterruptedException {
        for (int n : counts) {
            if (ember) {
                once(res, n, "ember", i -> Vms.emberConfig(env, "dens-" + i, "idle", MemoryBench.MEM_MIB),
                        "bin/ember --no-api --config-file");
                if (compare != null) {
                    once(res, n, "ember-compare", i -> Vms.emberConfig(compare, "densc-" + i, "idle", MemoryBench.MEM_MIB),
                            "the --compare checkout's bin/ember --no-api --config-file");
                }
                once(res, n, "ember-api", i -> Vms.emberApi(env, "densa-" + i, "idle", MemoryBench.MEM_MIB, List.of()),
                        "bin/ember --api-sock, configured through PUT /boot-source, /machine-config, InstanceStart");
                if (compare != null) {
                    once(res, n, "ember-compare-api", i -> Vms.emberApi(compare, "densca-" + i, "idle", MemoryBench.MEM_MIB,
                            List.of()), "the --compare checkout's bin/ember --api-sock, configured through the API");
                }
                if (n == 10) {
                    once(res, n, "ember-before", i -> Vms.emberConfig(env, "densb-" + i, "idle", MemoryBench.MEM_MIB, true),
                            "java, flags before tuning, no AOT cache, --config-file");
                }
            } else {
                res.skip(SECTION, "N=" + n + " launch -> every guest printed", "ember", env.emberMissing());
            }
            if (qemuGuest != null) {
                once(res, n, "qemu", i -> Vms.qemuDirect(env, qemuGuest, "idle", MemoryBench.MEM_MIB),
                        "QEMU microvm, TCG");
            } else if (qemuWhy != null) {
                res.skip(SECTION, "N=" + n + " launch -> every guest printed", "qemu", qemuWhy);
            }
        }
    }

    static void once(Results res, int n, String subject, Launcher launcher, String note) throws InterruptedException {
        List<Vms.Vm> vms = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(n, 32));
        try {
            long t0 = System.nanoTime();
            List<Future<Vms.Vm>> started = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                final int idx = i;
                started.add(pool.submit(() -> launcher.launch(idx)));
            }
            String failure = null;
            for (Future<Vms.Vm> f : started) {
                try {
                    vms.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    failure = StartupBench.firstLine(e.getCause().getMessage());
                }
            }
            if (failure != null) {
                res.skip(SECTION, "N=" + n + " launch -> every guest printed", subject, failure);
                return;
            }
            double[] perVm = new double[n];
            for (int i = 0; i < n; i++) {
                Child c = vms.get(i).child();
                try {
                    c.await(true, "EMBER-TEST: READY", 300_000);
                } catch (IOException e) {
                    res.skip(SECTION, "N=" + n + " launch -> every guest printed", subject, StartupBench.firstLine(e.getMessage()));
                    return;
                }
                perVm[i] = (c.firstOutNanos() - c.startNanos()) / 1e6;
            }
            long last = 0;
            for (Vms.Vm vm : vms) {
                last = Math.max(last, vm.child().firstOutNanos());
            }
            double all = (last - t0) / 1e6;
            res.add(SECTION, "N=" + n + " launch -> every guest printed", subject, "ms", new double[] {all},
                    note + "; single sample");
            res.add(SECTION, "N=" + n + " per-VM spawn -> first serial byte", subject, "ms", perVm, "");
            for (Vms.Vm vm : vms) {
                try {
                    vm.child().await(true, MemoryBench.SETTLED, 120_000);
                } catch (IOException e) {
                    res.skip(SECTION, "N=" + n + " per-VM VMM PSS", subject, StartupBench.firstLine(e.getMessage()));
                    return;
                }
            }
            Thread.sleep(500);
            List<MemSample> mem = new ArrayList<>();
            for (Vms.Vm vm : vms) {
                try {
                    mem.add(MemSample.of(vm.child().pid(), MemoryBench.MEM_MIB));
                } catch (IOException e) {
                    // a VM that died is caught by the stop below
                }
            }
            res.add(SECTION, "N=" + n + " per-VM VMM PSS", subject, "MiB", mem.stream().mapToDouble(s -> s.vmmPssKb() / 1024).toArray(), "");
            res.add(SECTION, "N=" + n + " per-VM VMM RSS", subject, "MiB", mem.stream().mapToDouble(s -> s.vmmRssKb() / 1024).toArray(), "");
            res.add(SECTION, "N=" + n + " total PSS incl. guests", subject, "MiB",
                    new double[] {mem.stream().mapToDouble(MemSample::pssKb).sum() / 1024}, "single sample");
            if (n == 10) {
                MemoryBench.report(res, "10 co-resident VMs", subject, mem, note);
            }
            long s0 = System.nanoTime();
            for (Vms.Vm vm : vms) {
                vm.child().terminate();
            }
            for (Vms.Vm vm : vms) {
                vm.child().waitFor(30_000);
            }
            res.add(SECTION, "N=" + n + " SIGTERM -> all exited", subject, "ms", new double[] {(System.nanoTime() - s0) / 1e6}, "single sample");
        } finally {
            for (Vms.Vm vm : vms) {
                vm.close();
            }
            pool.shutdownNow();
        }
    }
}
