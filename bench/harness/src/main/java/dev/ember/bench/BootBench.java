package dev.ember.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * VMM-side boot cost with the test guest {@code hello}: from the start request (Ember: PUT
 * /actions InstanceStart; QEMU: QMP cont on a -S VM) to the first KVM_RUN (from the VMM's own
 * log line, CLOCK_MONOTONIC like the harness's System.nanoTime), to the first serial byte and to
 * the greeting line on the VMM's stdout. With {@code --compare}, the other checkout's Ember
 * boots alternately with this one ({@link Subject#COMPARE}).
 */
final class BootBench {
    static final String SECTION = "VMM boot cost (start request -> ...), test guest hello";
    /** Logged by dev.ember.vm.VcpuThreads when a vCPU enters KVM_RUN for the first time. */
    static final Pattern FIRST_RUN = Pattern.compile("entering first KVM_RUN at monotonic (\\d+) ns");
    /** Logged by the API when it receives InstanceStart, if it does (used in place of the harness's send time). */
    static final Pattern START_RECEIVED = Pattern.compile("InstanceStart.*?monotonic (\\d+) ns");
    /**
     * A second boot per run sends InstanceStart this long after the PUTs were answered, as a
     * client with more to configure (drives, interfaces) would: what the VMM builds ahead of the
     * start is then done, where the first boot's InstanceStart, sent at once, waits for it.
     */
    static final long SETTLE_MS = 200;

    private BootBench() {}

    static void run(Env env, Env compare, Results res, int runs, boolean ember, Path qemuGuest, String qemuWhy) throws InterruptedException {
        if (ember) {
            // The compared checkout (--compare) boots alternately with this one, run for run.
            List<Env> envs = compare == null ? List.of(env) : List.of(env, compare);
            List<List<double[]>> samples = new ArrayList<>();
            List<List<double[]>> settled = new ArrayList<>();
            envs.forEach(e -> samples.add(new ArrayList<>()));
            envs.forEach(e -> settled.add(new ArrayList<>()));
            String err = null;
            boolean sawVmmStamp = false;
            for (int i = 0; i < runs && err == null; i++) {
                for (int n = 0; n < envs.size() * 2 && err == null; n++) {
                    int k = n / 2;
                    long settle = n % 2 == 0 ? 0 : SETTLE_MS;
                    try (Vms.Vm vm = Vms.emberApi(envs.get(k), "boot", "hello", MemoryBench.MEM_MIB, List.of(), settle)) {
                        Matcher hello = vm.child().await(true, Vms.HELLO, 120_000);
                        long helloAt = vm.child().stdoutArrival(hello.end());
                        long t0 = vm.startRequestNanos();
                        Matcher recv = START_RECEIVED.matcher(vm.child().stderr());
                        if (recv.find()) {
                            t0 = Long.parseLong(recv.group(1));
                            sawVmmStamp = true;
                        }
                        Matcher run = FIRST_RUN.matcher(vm.child().await(false, FIRST_RUN.pattern(), 5_000).group());
                        run.find();
                        long firstRun = Long.parseLong(run.group(1));
                        (settle == 0 ? samples : settled).get(k).add(new double[] {
                            (vm.startAnsweredNanos() - vm.startRequestNanos()) / 1e6,
                            (firstRun - t0) / 1e6,
                            (vm.child().firstOutNanos() - t0) / 1e6,
                            (helloAt - t0) / 1e6,
                            (vm.startAnsweredNanos() - vm.child().startNanos()) / 1e6,
                        });
                    } catch (IOException e) {
                        err = StartupBench.firstLine(e.getMessage());
                    }
                }
            }
            if (err != null) {
                res.skip(SECTION, "-> first KVM_RUN", "ember", err);
            } else {
                String from = sawVmmStamp ? "from the VMM's InstanceStart log stamp" : "from the harness sending InstanceStart";
                for (int k = 0; k < envs.size(); k++) {
                    String who = k == 0 ? "ember" : Subject.COMPARE;
                    List<double[]> s = samples.get(k);
                    res.add(SECTION, "InstanceStart request -> response", who, "ms", col(s, 0), "API round trip");
                    res.add(SECTION, "-> first KVM_RUN", who, "ms", col(s, 1), from + " to the vCPU's log stamp");
                    res.add(SECTION, "-> first serial byte", who, "ms", col(s, 2), "guest code emulated by PVM");
                    res.add(SECTION, "-> greeting line", who, "ms", col(s, 3), "");
                    res.add(SECTION, "spawn -> GET /, 2 PUTs, InstanceStart answered", who, "ms", col(s, 4),
                            "the whole client flow, one connection");
                    List<double[]> later = settled.get(k);
                    res.add(SECTION, "InstanceStart " + SETTLE_MS + " ms after the PUTs -> response", who, "ms", col(later, 0),
                            "what the VMM builds ahead is done by then");
                    res.add(SECTION, "InstanceStart " + SETTLE_MS + " ms after the PUTs -> first KVM_RUN", who, "ms", col(later, 1), "");
                }
            }
        } else {
            res.skip(SECTION, "-> first KVM_RUN", "ember", env.emberMissing());
        }
        if (qemuGuest != null) {
            List<double[]> s = new ArrayList<>();
            try {
                for (int i = 0; i < runs; i++) {
                    try (Vms.Vm vm = Vms.qemu(env, qemuGuest, "boot-q", "hello", MemoryBench.MEM_MIB)) {
                        Matcher hello = vm.child().await(true, Vms.HELLO, 120_000);
                        long t0 = vm.startRequestNanos();
                        s.add(new double[] {
                            (vm.startAnsweredNanos() - t0) / 1e6,
                            (vm.child().firstOutNanos() - t0) / 1e6,
                            (vm.child().stdoutArrival(hello.end()) - t0) / 1e6,
                        });
                    }
                }
                res.add(SECTION, "InstanceStart request -> response", "qemu", "ms", col(s, 0), "QMP cont round trip");
                res.add(SECTION, "-> first serial byte", "qemu", "ms", col(s, 1), "TCG: guest code emulated by QEMU");
                res.add(SECTION, "-> greeting line", "qemu", "ms", col(s, 2), "");
            } catch (IOException e) {
                res.skip(SECTION, "-> first serial byte", "qemu", StartupBench.firstLine(e.getMessage()));
            }
        } else if (qemuWhy != null) {
            res.skip(SECTION, "-> first serial byte", "qemu", qemuWhy);
        }
    }

    static double[] col(List<double[]> rows, int i) {
        return rows.stream().mapToDouble(r -> r[i]).toArray();
    }
}
