package dev.ember.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cold boot of a whole VM from the command line, no API: spawn {@code ember --no-api
 * --config-file} (test guest {@code idle}) to its first serial byte, with the CPU time the
 * process used up to then; and the VMM's own figures
 * from its log (InstanceStart to vCPU threads running, and spawn to the first KVM_RUN on the
 * shared CLOCK_MONOTONIC). The peer is QEMU booting the same guest's PVH build under TCG.
 */
final class ColdBootBench {
    static final String SECTION = "cold boot from the command line (--no-api config file; test guest idle)";
    /** Logged by dev.ember.app.Vmm once the vCPU threads run. */
    static final Pattern VMM_START = Pattern.compile("InstanceStart to vCPU threads running in (\\d+) us");

    private ColdBootBench() {}

    static void run(Env env, Results res, int runs, boolean ember, Path qemuGuest, String qemuWhy) throws InterruptedException {
        if (ember) {
            for (boolean baseline : new boolean[] {false, true}) {
                String subject = baseline ? "ember-before" : "ember";
                List<double[]> s = new ArrayList<>();
                try {
                    for (int i = 0; i < runs; i++) {
                        try (Vms.Vm vm = Vms.emberConfig(env, "cold", "idle", MemoryBench.MEM_MIB, baseline)) {
                            s.add(measure(vm, true));
                        }
                    }
                    res.add(SECTION, "spawn -> first serial byte", subject, "ms", BootBench.col(s, 0),
                            baseline ? "java, flags before tuning, no AOT cache" : "bin/ember --no-api --config-file");
                    res.add(SECTION, "CPU at first serial byte", subject, "ms", BootBench.col(s, 1), "schedstat, live threads");
                    res.add(SECTION, "spawn -> first KVM_RUN (VMM log)", subject, "ms", BootBench.col(s, 2), "");
                    res.add(SECTION, "InstanceStart -> vCPUs running (VMM log)", subject, "ms", BootBench.col(s, 3),
                            "VM build: KVM, memory, devices, loader, jnr-ffi bindings");
                } catch (IOException e) {
                    res.skip(SECTION, "spawn -> first serial byte", subject, StartupBench.firstLine(e.getMessage()));
                }
            }
        } else {
            res.skip(SECTION, "spawn -> first serial byte", "ember", env.emberMissing());
        }
        if (qemuGuest != null) {
            List<double[]> s = new ArrayList<>();
            try {
                for (int i = 0; i < runs; i++) {
                    try (Vms.Vm vm = Vms.qemuDirect(env, qemuGuest, "idle", MemoryBench.MEM_MIB)) {
                        s.add(measure(vm, false));
                    }
                }
                String tcg = "QEMU microvm, TCG";
                res.add(SECTION, "spawn -> first serial byte", "qemu", "ms", BootBench.col(s, 0), tcg);
                res.add(SECTION, "CPU at first serial byte", "qemu", "ms", BootBench.col(s, 1), "schedstat, live threads");
            } catch (IOException e) {
                res.skip(SECTION, "spawn -> first serial byte", "qemu", StartupBench.firstLine(e.getMessage()));
            }
        } else if (qemuWhy != null) {
            res.skip(SECTION, "spawn -> first serial byte", "qemu", qemuWhy);
        }
    }

    /** ms from spawn to the first serial byte, CPU ms then, and for Ember [spawn -> first KVM_RUN, VMM start]. */
    static double[] measure(Vms.Vm vm, boolean ember) throws IOException, InterruptedException {
        Child c = vm.child();
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (c.firstOutNanos() == 0 && System.nanoTime() < deadline) {
            if (!c.isAlive()) {
                c.waitFor(1000);
                throw new IOException("exited before printing\n" + c.describe());
            }
            Thread.onSpinWait();
        }
        if (c.firstOutNanos() == 0) {
            throw new IOException("no serial output within 120 s\n" + c.describe());
        }
        double cpu = ProcStat.schedMillis(c.pid());
        long t0 = c.startNanos();
        double[] r = {(c.firstOutNanos() - t0) / 1e6, cpu, Double.NaN, Double.NaN};
        if (ember) {
            c.await(false, VMM_START.pattern(), 10_000);
            Matcher run = BootBench.FIRST_RUN.matcher(c.await(false, BootBench.FIRST_RUN.pattern(), 10_000).group());
            Matcher start = VMM_START.matcher(c.stderr());
            if (!run.find() || !start.find()) {
                throw new IOException("ember did not log its first KVM_RUN / start figures\n" + c.describe());
            }
            r[2] = (Long.parseLong(run.group(1)) - t0) / 1e6;
            r[3] = Long.parseLong(start.group(1)) / 1e3;
        }
        return r;
    }
}
