package dev.ember.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Memory overhead of one VM (1 vCPU, 128 MiB, test guest {@code idle}): the VMM process's RSS
 * and PSS minus what the guest touched of its RAM. Co-resident figures (10 VMs) come from the
 * density run, where PSS shows what sharing (CDS/AOT archive, libjvm, jars) saves per VM.
 */
final class MemoryBench {
    static final String SECTION = "memory, 1 vCPU / 128 MiB, test guest idle (VMM = process minus guest RAM)";
    static final int MEM_MIB = 128;

    private MemoryBench() {}

    static void run(Env env, Results res, int runs, boolean ember, Path qemuGuest, String qemuWhy)
            throws InterruptedException {
        if (ember) {
            List<MemSample> cfg = new ArrayList<>();
            List<MemSample> before = new ArrayList<>();
            List<MemSample> api = new ArrayList<>();
            String cfgErr = null, apiErr = null, beforeErr = null;
            for (int i = 0; i < runs; i++) {
                if (cfgErr == null) {
                    try (Vms.Vm vm = Vms.emberConfig(env, "mem-cfg", "idle", MEM_MIB)) {
                        cfg.add(settleAndSample(vm.child()));
                    } catch (IOException e) {
                        cfgErr = StartupBench.firstLine(e.getMessage());
                    }
                }
                if (beforeErr == null) {
                    try (Vms.Vm vm = Vms.emberConfig(env, "mem-before", "idle", MEM_MIB, true)) {
                        before.add(settleAndSample(vm.child()));
                    } catch (IOException e) {
                        beforeErr = StartupBench.firstLine(e.getMessage());
                    }
                }
                if (apiErr == null) {
                    try (Vms.Vm vm = Vms.emberApi(env, "mem-api", "idle", MEM_MIB, List.of())) {
                        api.add(settleAndSample(vm.child()));
                    } catch (IOException e) {
                        apiErr = StartupBench.firstLine(e.getMessage());
                    }
                }
            }
            if (cfgErr != null) {
                res.skip(SECTION, "VMM PSS, single VM", "ember", cfgErr);
            } else {
                report(res, "single VM", "ember", cfg, "bin/ember --no-api --config-file");
            }
            if (beforeErr != null) {
                res.skip(SECTION, "VMM PSS, single VM", "ember-before", beforeErr);
            } else {
                report(res, "single VM", "ember-before", before, "java, flags before tuning, no AOT cache, --config-file");
            }
            if (apiErr != null) {
                res.skip(SECTION, "VMM PSS, single VM", "ember-api", apiErr);
            } else {
                report(res, "single VM", "ember-api", api, "--api-sock, configured through the API");
            }
        } else {
            res.skip(SECTION, "VMM PSS, single VM", "ember", env.emberMissing());
        }
        if (qemuGuest != null) {
            List<MemSample> q = new ArrayList<>();
            try {
                for (int i = 0; i < runs; i++) {
                    try (Vms.Vm vm = Vms.qemuDirect(env, qemuGuest, "idle", MEM_MIB)) {
                        q.add(settleAndSample(vm.child()));
                    }
                }
                report(res, "single VM", "qemu", q, "QEMU microvm, TCG (footprint of the VMM; guest speed irrelevant here)");
            } catch (IOException e) {
                res.skip(SECTION, "VMM PSS, single VM", "qemu", StartupBench.firstLine(e.getMessage()));
            }
        } else if (qemuWhy != null) {
            res.skip(SECTION, "VMM PSS, single VM", "qemu", qemuWhy);
        }
    }

    /**
     * Tick the guest prints before a VM counts as settled: booted, idling, and the JVM's periodic
     * native-heap trim (every 2 s) has run, as it would have on any long-running VM.
     */
    static final String SETTLED = "tick 5";

    /** Waits until the VM has settled, then samples. */
    static MemSample settleAndSample(Child c) throws IOException, InterruptedException {
        c.await(true, SETTLED, 120_000);
        Thread.sleep(500);
        return MemSample.of(c.pid(), MEM_MIB);
    }

    static void report(Results res, String label, String subject, List<MemSample> l, String note) {
        if (l.isEmpty()) {
            return;
        }
        boolean missingGuest = l.stream().anyMatch(s -> !s.guestFound());
        String n = note + (missingGuest ? "; WARNING: guest-RAM mapping not found in smaps in some samples" : "");
        res.add(SECTION, "VMM PSS, " + label, subject, "MiB", l.stream().mapToDouble(s -> s.vmmPssKb() / 1024).toArray(), n);
        res.add(SECTION, "VMM RSS, " + label, subject, "MiB", l.stream().mapToDouble(s -> s.vmmRssKb() / 1024).toArray(), "");
        res.add(SECTION, "guest RAM touched (RSS), " + label, subject, "MiB",
                l.stream().mapToDouble(s -> s.guestRssKb() / 1024).toArray(), "subtracted above");
        res.add(SECTION, "process PSS incl. guest, " + label, subject, "MiB",
                l.stream().mapToDouble(s -> s.pssKb() / 1024).toArray(), "");
        if (subject.startsWith("qemu")) {
            res.add(SECTION, "TCG translation cache RSS, " + label, subject, "MiB",
                    l.stream().mapToDouble(s -> s.tcgCacheRssKb() / 1024).toArray(), "included in VMM figures; absent under KVM");
        }
        Map<String, List<Double>> kinds = new TreeMap<>();
        for (MemSample s : l) {
            s.pssByKindKb().forEach((k, v) -> kinds.computeIfAbsent(k, x -> new ArrayList<>()).add(v / 1024.0));
        }
        kinds.forEach((k, v) -> res.add(SECTION, "  PSS " + k + ", " + label, subject, "MiB",
                v.stream().mapToDouble(Double::doubleValue).toArray(), "breakdown"));
    }
}
