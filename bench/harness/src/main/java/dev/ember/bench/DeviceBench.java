package dev.ember.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Device throughput with the test guest's blk-bench and net-bench scenarios (virtio-mmio
 * virtio-blk over a raw image file, virtio-net over a TAP in a network namespace), Ember and
 * QEMU microvm (the installed version, named in the figures) booting the same guest, runs interleaved. Phases are timed on the host from
 * the guest's serial marks (see {@link BenchPhases}); block figures count only if every block of
 * the image carries its stamp afterwards, TX figures use the frames the host counted on the TAP,
 * RX runs from the host's first send to the guest's last frame.
 */
final class DeviceBench {
    static final String SECTION = "devices (virtio-blk, virtio-net; test guest blk-bench / net-bench, 1 vCPU, 128 MiB)";
    static final int QD = 8;
    static final double MIB = 1024 * 1024;
    private static final Pattern GUEST_EXITS = Pattern.compile("notifies (\\d+) interrupts (\\d+)");

    /** Metric names, in the order printed. */
    static final String SEQ_WRITE = "block seq write, 1 MiB requests, qd " + QD;
    static final String SEQ_READ = "block seq read, 1 MiB requests, qd " + QD;
    static final String RAND_READ = "block random read, 4 KiB, qd " + QD;
    static final String RAND_WRITE = "block random write, 4 KiB, qd " + QD;
    static final String CALIB = "guest speed: one dec+jnz loop iteration";
    static final String TX_PPS = "net TX 1514 B frames guest->TAP, qd " + QD;
    static final String TX_MIB = "net TX guest->TAP";
    static final String RX_PPS = "net RX 1514 B frames TAP->guest";
    static final String RX_MIB = "net RX TAP->guest";

    /** A VMM booting the test guest with a device: Ember (config file) or QEMU (accel kvm/tcg). */
    record Vmm(String name, String accel, String note) {
        boolean ember() {
            return accel == null;
        }

        /** The guest's result code as this VMM's exit status. */
        int passStatus() {
            return ember() ? 0 : 1; // QEMU's isa-debug-exit: status = code * 2 + 1
        }
    }

    /** The same Ember with its drive on the io_uring engine (block phases only). */
    static final String EMBER_ASYNC = "ember-async";

    private DeviceBench() {}

    static void run(Env env, Results res, boolean quick, boolean ember, Path qemuGuest, String qemuWhy)
            throws InterruptedException {
        int runs = quick ? 2 : 8;
        long imageBytes = (quick ? 32L : 256L) << 20;
        int ios = quick ? 1000 : 5000;
        int frames = quick ? 2000 : 5000; // a phase must outlast the pipe's wake-up latency on a loaded host
        res.note("devices: the test guest's driver runs emulated under PVM (~1 us per guest instruction, tens of us per"
                + " exit), so every figure here includes the guest's side, which dominates on this machine; they compare"
                + " the VMMs on the same hypervisor, they are not hardware-KVM device throughput. Phases timed on the host"
                + " from the guest's serial marks; image " + (imageBytes >> 20) + " MiB (page cache), " + ios
                + " random requests, " + frames + " frames per direction, " + runs + " runs interleaved.");
        List<Vmm> subjects = new ArrayList<>();
        if (ember) {
            subjects.add(new Vmm("ember", null, "bin/ember --no-api --config-file, io_engine Sync"));
            subjects.add(new Vmm(EMBER_ASYNC, null, "bin/ember --no-api --config-file, io_engine Async (io_uring)"));
        } else {
            res.skip(SECTION, SEQ_WRITE, "ember", env.emberMissing() != null ? env.emberMissing() : "test guest not built");
        }
        if (qemuGuest != null) {
            String kvmWhy = probeQemuKvm(env, qemuGuest);
            String qemu = Exec.firstLine(env.repo, env.qemu, "--version").replace("QEMU emulator version ", "QEMU ");
            if (kvmWhy == null) {
                subjects.add(new Vmm("qemu-kvm", "kvm", qemu + " microvm -accel kvm, default CPU model, drive aio=io_uring"));
            } else {
                res.skip(SECTION, SEQ_WRITE, "qemu-kvm", kvmWhy);
                subjects.add(new Vmm("qemu-tcg", "tcg",
                        qemu + " microvm under TCG (KVM failed): guest code translated, not emulated as under PVM"));
            }
        } else if (qemuWhy != null) {
            res.skip(SECTION, SEQ_WRITE, "qemu", qemuWhy);
        }
        Map<Vmm, Double> calibNs = block(env, res, subjects, qemuGuest, runs, imageBytes, ios);
        String netWhy = NetNs.unavailable();
        if (netWhy != null) {
            for (Vmm s : subjects) {
                if (s.name().equals(EMBER_ASYNC)) {
                    continue;
                }
                res.skip(SECTION, TX_PPS, s.name(), netWhy);
            }
        } else if (!subjects.isEmpty()) {
            List<Vmm> netSubjects = subjects.stream().filter(s -> !s.name().equals(EMBER_ASYNC)).toList(); // io_engine is block only
            net(env, res, netSubjects, qemuGuest, runs, frames, calibNs);
        }
    }

    // ---- block ---------------------------------------------------------------------------

    /** Runs blk-bench; returns each subject's median guest loop iteration (ns). */
    private static Map<Vmm, Double> block(Env env, Results res, List<Vmm> subjects, Path qemuGuest, int runs, long imageBytes,
            int ios) throws InterruptedException {
        Map<Vmm, Double> calibNs = new LinkedHashMap<>();
        Map<Vmm, List<double[]>> samples = new LinkedHashMap<>();
        Map<Vmm, String> failed = new LinkedHashMap<>();
        Map<Vmm, String> exits = new LinkedHashMap<>();
        for (int r = 0; r < runs; r++) {
            for (Vmm s : subjects) {
                if (failed.containsKey(s)) {
                    continue;
                }
                Path img = env.work.resolve("blk-" + s.name() + ".img");
                String args = "blk-bench ember.bench.qd=" + QD + " ember.bench.seqkib=1024 ember.bench.ios=" + ios;
                try {
                    BlockImage.create(img, imageBytes);
                    List<BenchPhases.Phase> ph;
                    try (Child c = start(env, s, qemuGuest, args, List.of(), driveConfig(img, s.name().equals(EMBER_ASYNC)), drive(img))) {
                        ph = finish(c, s, "blk-bench", 600_000);
                    }
                    long rewritten = BlockImage.verify(img);
                    if (rewritten == 0) {
                        throw new IOException("no block of the image carries a random write's stamp");
                    }
                    BenchPhases.Phase sw = BenchPhases.find(ph, "seq-write"), sr = BenchPhases.find(ph, "seq-read");
                    BenchPhases.Phase rr = BenchPhases.find(ph, "rand-read"), rw = BenchPhases.find(ph, "rand-write");
                    BenchPhases.Phase calib = BenchPhases.find(ph, "calib");
                    samples.computeIfAbsent(s, k -> new ArrayList<>()).add(new double[] {
                        sw.bytes() / MIB / sw.seconds(), sr.bytes() / MIB / sr.seconds(),
                        rr.count() / rr.seconds(), rw.count() / rw.seconds(), calib.seconds() * 1e9 / calib.count()});
                    exits.put(s, "last run: " + perExit(sr) + " (seq read), " + perExit(rr) + " (random read)");
                } catch (IOException e) {
                    failed.put(s, StartupBench.firstLine(e.getMessage()));
                } finally {
                    try {
                        Files.deleteIfExists(img);
                    } catch (IOException e) {
                        System.err.println("bench/run: could not remove " + img + ": " + e.getMessage());
                    }
                }
            }
        }
        String[] metrics = {SEQ_WRITE, SEQ_READ, RAND_READ, RAND_WRITE, CALIB};
        String[] units = {"MiB/s", "MiB/s", "IOPS", "IOPS", "ns"};
        for (Vmm s : subjects) {
            if (failed.containsKey(s)) {
                res.skip(SECTION, SEQ_WRITE, s.name(), "blk-bench failed: " + failed.get(s));
                continue;
            }
            List<double[]> l = samples.get(s);
            Stats calibStats = timed(l, 4);
            Double calib = calibStats == null ? null : calibStats.median();
            if (calib != null) {
                calibNs.put(s, calib);
            }
            report(res, s, l, metrics, units, (i, st) -> i == 0 ? s.note() + "; all blocks' stamps checked in the image file"
                    : i == 2 ? guestTime(st, calib, "request") + "; " + exits.get(s)
                    : i == 3 ? guestTime(st, calib, "request")
                    : i == 4 ? "no I/O; 100,000 iterations timed like a phase: how fast this VMM's guest executes" : "");
        }
        return calibNs;
    }

    static final String UNTIMED = "no run's phase could be timed: its START and END lines reached the host in one read";

    /** Column i over the runs whose phase could be timed (finite), or null if none could. */
    static Stats timed(List<double[]> runs, int i) {
        double[] v = runs.stream().mapToDouble(r -> r[i]).filter(Double::isFinite).toArray();
        return v.length == 0 ? null : Stats.of(v);
    }

    /**
     * One result per metric (column {@code i} of {@code runs}' samples): its statistics, the runs
     * dropped and {@code note}; skipped, saying why, when no run could be timed.
     */
    private static void report(Results res, Vmm s, List<double[]> runs, String[] metrics, String[] units,
                               java.util.function.BiFunction<Integer, Stats, String> note) {
        for (int i = 0; i < metrics.length; i++) {
            Stats st = timed(runs, i);
            if (st == null) {
                res.skip(SECTION, metrics[i], s.name(), UNTIMED);
                continue;
            }
            res.add(SECTION, metrics[i], s.name(), units[i], st, dropped(runs, st) + note.apply(i, st));
        }
    }

    private static String dropped(List<double[]> runs, Stats st) {
        int n = runs.size() - st.count();
        return n == 0 ? "" : n + " of " + runs.size() + " runs untimed (START and END arrived in one read); ";
    }

    /** "210 us per request = 93 guest loop iterations": how a rate compares with the guest's own speed. */
    static String guestTime(Stats perSecond, Double calibNs, String what) {
        double us = 1e6 / perSecond.median();
        return calibNs == null ? String.format(Locale.ROOT, "%.0f us per %s", us, what)
                : String.format(Locale.ROOT, "%.0f us per %s = %.0f guest loop iterations", us, what, us * 1000 / calibNs);
    }

    private static String perExit(BenchPhases.Phase p) {
        Matcher m = GUEST_EXITS.matcher(p.guestLine());
        if (!m.find()) {
            return "?";
        }
        double n = p.count();
        return String.format(Locale.ROOT, "%.1f req/notify, %.1f req/interrupt", n / Math.max(1, Long.parseLong(m.group(1))),
                n / Math.max(1, Long.parseLong(m.group(2))));
    }

    private static String driveConfig(Path img, boolean async) {
        return "\"drives\":[{\"drive_id\":\"bench\",\"path_on_host\":\"" + img
                + "\",\"is_root_device\":false,\"is_read_only\":false,\"cache_type\":\"Writeback\",\"io_engine\":\""
                + (async ? "Async" : "Sync") + "\"}]";
    }

    private static List<String> drive(Path img) {
        return List.of("-drive", "id=d0,file=" + img + ",format=raw,if=none,aio=io_uring", "-device", "virtio-blk-device,drive=d0");
    }

    // ---- network -------------------------------------------------------------------------

    private static void net(Env env, Results res, List<Vmm> subjects, Path qemuGuest, int runs, int frames,
            Map<Vmm, Double> calibNs) throws InterruptedException {
        Map<Vmm, List<double[]>> samples = new LinkedHashMap<>();
        Map<Vmm, String> failed = new LinkedHashMap<>();
        Map<Vmm, String> notes = new LinkedHashMap<>();
        try (NetNs ns = NetNs.create(frames)) {
            for (int r = 0; r < runs; r++) {
                for (Vmm s : subjects) {
                    if (failed.containsKey(s)) {
                        continue;
                    }
                    try {
                        samples.computeIfAbsent(s, k -> new ArrayList<>()).add(netRun(env, ns, s, qemuGuest, frames, notes));
                    } catch (IOException e) {
                        failed.put(s, StartupBench.firstLine(e.getMessage()));
                    }
                }
            }
        } catch (IOException e) {
            for (Vmm s : subjects) {
                res.skip(SECTION, TX_PPS, s.name(), "network namespace: " + StartupBench.firstLine(e.getMessage()));
            }
            return;
        }
        String[] metrics = {TX_PPS, TX_MIB, RX_PPS, RX_MIB};
        String[] units = {"pps", "MiB/s", "pps", "MiB/s"};
        for (Vmm s : subjects) {
            if (failed.containsKey(s)) {
                res.skip(SECTION, TX_PPS, s.name(), "net-bench failed: " + failed.get(s));
                continue;
            }
            List<double[]> l = samples.get(s);
            report(res, s, l, metrics, units, (i, st) -> i == 0
                    ? guestTime(st, calibNs.get(s), "frame") + "; frames counted on the TAP by the host; " + notes.get(s)
                    : i == 2 ? guestTime(st, calibNs.get(s), "frame") + "; host's first send -> guest's last frame" : "");
        }
    }

    /** One net-bench boot: [TX pps, TX MiB/s, RX pps, RX MiB/s]. */
    private static double[] netRun(Env env, NetNs ns, Vmm s, Path qemuGuest, int frames, Map<Vmm, String> notes)
            throws IOException, InterruptedException {
        String args = "net-bench ember.bench.qd=" + QD + " ember.bench.frames=" + frames;
        String netConfig = "\"network-interfaces\":[{\"iface_id\":\"eth0\",\"host_dev_name\":\"" + NetNs.TAP
                + "\",\"guest_mac\":\"" + NetNs.GUEST_MAC + "\"}]";
        List<String> qemuNet = List.of("-netdev", "tap,id=n0,ifname=" + NetNs.TAP + ",script=no,downscript=no",
                "-device", "virtio-net-device,netdev=n0,mac=" + NetNs.GUEST_MAC);
        try (Child count = Child.start(ns.python(NetNs.COUNT, NetNs.TAP, Integer.toString(frames), "300"), env.repoDir(), Map.of())) {
            count.await(true, "^READY$", 30_000);
            try (Child vm = start(env, s, qemuGuest, args, ns.in(), netConfig, qemuNet)) {
                vm.await(true, "^BENCH-READY net-rx$", 300_000);
                // The guest waits 10 s at most for its first RX frame: send first, then collect the count.
                Child send = Child.start(ns.python(NetNs.SEND, NetNs.TAP, Integer.toString(frames),
                        NetNs.GUEST_MAC.replace(":", "")), env.repoDir(), Map.of());
                long sendStart;
                try (send) {
                    sendStart = Long.parseLong(send.await(true, "^SENT \\d+ (\\d+) \\d+$", 120_000).group(1));
                }
                Matcher counted = count.await(true, "^COUNT (\\d+) (\\d+)$", 60_000);
                long hostFrames = Long.parseLong(counted.group(1));
                long hostBytes = Long.parseLong(counted.group(2));
                List<BenchPhases.Phase> ph = finish(vm, s, "net-bench", 300_000);
                BenchPhases.Phase tx = BenchPhases.find(ph, "net-tx"), rx = BenchPhases.find(ph, "net-rx");
                if (hostFrames == 0) {
                    throw new IOException("the host counted no frame of the guest's on the TAP");
                }
                notes.put(s, "last run: host counted " + hostFrames + " of " + tx.count() + " frames sent; guest received "
                        + rx.count() + ", lost " + rx.lost() + "; " + s.note());
                double txSec = tx.seconds();
                double rxSec = rx.endNanos() > sendStart ? (rx.endNanos() - sendStart) / 1e9 : Double.NaN;
                return new double[] {hostFrames / txSec, hostBytes / MIB / txSec, rx.count() / rxSec, rx.bytes() / MIB / rxSec};
            }
        }
    }

    // ---- VMs -----------------------------------------------------------------------------

    /**
     * Boots the test guest with {@code scenarioArgs} ("name key=value ...") under subject
     * {@code s}, inside {@code launcher} (e.g. ip netns exec) if not empty: Ember from a config
     * file with {@code emberDevices} (JSON members), QEMU with {@code qemuDevices}.
     */
    static Child start(Env env, Vmm s, Path qemuGuest, String scenarioArgs, List<String> launcher, String emberDevices,
            List<String> qemuDevices) throws IOException {
        String boot = "console=ttyS0 ember.test=" + scenarioArgs;
        List<String> cmd = new ArrayList<>(launcher);
        Map<String, String> environment = Map.of();
        if (s.ember()) {
            Path cfg = env.work.resolve("dev-" + scenarioArgs.split(" ")[0] + ".json");
            Files.writeString(cfg, "{\"boot-source\":{\"kernel_image_path\":\"" + env.testGuest + "\",\"boot_args\":\"" + boot
                    + "\"},\"machine-config\":{\"vcpu_count\":1,\"mem_size_mib\":128}," + emberDevices + "}\n");
            cmd.addAll(env.emberScript(List.of("--no-api", "--config-file", cfg.toString())));
            environment = env.emberEnv();
        } else {
            cmd.addAll(qemu(env, qemuGuest, s.accel(), boot));
            // before -kernel: devices go with the machine options
            cmd.addAll(cmd.indexOf("-kernel"), qemuDevices);
        }
        return Child.start(cmd, env.repoDir(), environment);
    }

    /**
     * QEMU microvm without ACPI, so it lists its virtio-mmio devices on the kernel command line
     * (virtio_mmio.device=) as the test guest expects; modern (version 2) virtio-mmio.
     * {@code -display none -monitor none}: the serial console alone on stdout, written as the
     * guest writes it.
     */
    static List<String> qemu(Env env, Path guest, String accel, String boot) {
        List<String> cmd = new ArrayList<>(List.of(env.qemu, "-M", "microvm,acpi=off", "-accel", accel));
        if (accel.equals("tcg")) {
            cmd.addAll(List.of("-cpu", "max"));
        }
        cmd.addAll(List.of("-smp", "1", "-m", "128M", "-nodefaults", "-no-user-config", "-display", "none", "-monitor", "none",
                "-serial", "stdio", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=1",
                "-global", "virtio-mmio.force-legacy=false", "-kernel", guest.toString(), "-append", boot));
        return cmd;
    }

    /** Waits for the guest's verdict and the VMM's exit; returns the phases or throws with the output. */
    private static List<BenchPhases.Phase> finish(Child c, Vmm s, String scenario, long timeoutMs)
            throws IOException, InterruptedException {
        c.await(true, "^EMBER-TEST: (PASS|FAIL) .*$", timeoutMs);
        int status = c.waitFor(30_000);
        if (!c.stdout().contains("EMBER-TEST: PASS " + scenario + "\n") || status != s.passStatus()) {
            Matcher fail = Pattern.compile("^EMBER-TEST: FAIL .*$", Pattern.MULTILINE).matcher(c.stdout());
            throw new IOException((fail.find() ? fail.group() : "exit status " + status) + "\n" + c.describe());
        }
        return BenchPhases.parse(c.stdout(), c::stdoutArrival);
    }

    /**
     * Whether QEMU can run the test guest with KVM here: boots {@code hello} with -accel kvm.
     * Returns null if it passed, else what happened (exit status and QEMU's own message).
     */
    static String probeQemuKvm(Env env, Path guest) throws InterruptedException {
        if (!Files.isReadable(Path.of("/dev/kvm"))) {
            return "no usable /dev/kvm";
        }
        try (Child c = Child.start(qemu(env, guest, "kvm", "console=ttyS0 ember.test=hello"), env.repoDir(), Map.of())) {
            int status = c.waitFor(20_000);
            if (status == 1 && c.stdout().contains("EMBER-TEST: PASS hello")) {
                return null;
            }
            String err = c.stderr().lines().filter(l -> !l.contains("warning:")).findFirst().orElse("");
            return "QEMU -accel kvm did not run the test guest: " + (status < 0 ? "no verdict within 20 s" : "exit status " + status)
                    + (err.isEmpty() ? "" : ": " + err.trim());
        } catch (IOException e) {
            return "QEMU -accel kvm: " + e.getMessage();
        }
    }
}
