package dev.ember.bench;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bench/run}: measures Ember against QEMU and prints a table; writes JSON to bench/results/. */
@Command(name = "bench/run", mixinStandardHelpOptions = true,
        description = "Ember benchmarks: start-up, memory, boot cost, API latency, density, devices; QEMU as the peer.")
public final class BenchMain implements Callable<Integer> {
    static final List<String> ALL = List.of("startup", "coldboot", "boot", "snapload", "memory", "api", "density", "devices", "soak");

    @Option(names = "--quick", description = "A few iterations of everything: a smoke run for CI and development.")
    boolean quick;

    @Option(names = "--only", split = ",", paramLabel = "BENCH",
            description = "Run only these: ${COMPLETION-CANDIDATES}.", completionCandidates = Names.class)
    List<String> only;

    @Option(names = "--runs", description = "Start-up runs per subject (default 20; --quick 3).")
    Integer runs;

    @Option(names = "--density", split = ",", description = "VM counts for the density run (default 10,30; --quick 3).")
    List<Integer> density;

    @Option(names = "--subjects", split = ",", paramLabel = "NAME",
            description = "Start-up subjects to run (default all): ember, ember-java, ember-jailed (root, runtime image built), ember-jailed-compare (the same of --compare), ember-noaot, ember-before, ember-untuned, jvm-floor, qemu.")
    List<String> subjectNames;

    @Option(names = "--soak-seconds", description = "How long the API soak storms (default 120; --quick 20).")
    Integer soakSeconds;

    @Option(names = "--soak-connections", description = "Connections the API soak holds to Ember (default 16).")
    int soakConnections = 16;

    @Option(names = "--no-peer", description = "Skip QEMU.")
    boolean noPeer;

    @Option(names = "--repo", description = "Ember checkout (default: current directory).")
    Path repo = Path.of("").toAbsolutePath();

    @Option(names = "--compare", paramLabel = "DIR",
            description = "Another built Ember checkout (e.g. the code before a change): its bin/ember runs interleaved with this one in startup, boot, snapload and density, as ember-compare.")
    Path compare;

    @Option(names = "--out", description = "JSON file (default bench/results/bench-<time>.json).")
    Path out;

    static final class Names extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        Names() {
            super(ALL);
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Set<String> which = new java.util.LinkedHashSet<>(only == null ? ALL : only);
        for (String w : which) {
            if (!ALL.contains(w)) {
                System.err.println("bench/run: unknown benchmark '" + w + "' in --only; choose from " + ALL);
                return 2;
            }
        }
        Path work = Path.of(System.getProperty("java.io.tmpdir"), "ember-bench-" + ProcessHandle.current().pid());
        Env env = Env.discover(repo, work);
        Env compareEnv = compare == null ? null : Env.discover(compare.toAbsolutePath(), work.resolve("compare"));
        Results res = new Results();
        MachineInfo.record(env, res);
        res.machine("mode", quick ? "quick (smoke run: few iterations, figures indicative only)" : "full");
        String emberMissing = env.emberMissing();
        if (emberMissing != null) {
            res.note("Ember not runnable: " + emberMissing + " — Ember rows are marked NOT MEASURED.");
        }
        int startupRuns = runs != null ? runs : quick ? 3 : 20;
        if (which.contains("startup")) {
            List<Subject> subjects = new ArrayList<>();
            if (emberMissing == null) {
                subjects.add(Subject.emberScript(env));
                if (compareEnv != null) {
                    subjects.add(Subject.emberCompare(compareEnv));
                }
                subjects.add(Subject.emberJava(env));
                if ("root".equals(System.getProperty("user.name")) && java.nio.file.Files.isExecutable(Subject.jailedImage(env))) {
                    subjects.add(Subject.emberJailed(env));
                    if (compareEnv != null && java.nio.file.Files.isExecutable(Subject.jailedImage(compareEnv))) {
                        subjects.add(Subject.emberJailedCompare(compareEnv));
                    }
                }
                if (env.hasAotCache()) {
                    subjects.add(Subject.emberNoAot(env));
                }
                subjects.add(Subject.emberBaseline(env));
                subjects.add(Subject.emberUntuned(env));
            } else {
                res.skip(StartupBench.SECTION, "wall to ready", "ember", emberMissing);
            }
            subjects.add(Subject.floor(env));
            if (!noPeer && env.qemu != null) {
                subjects.add(Subject.qemu(env));
            }
            if (subjectNames != null) {
                subjects.removeIf(s -> !subjectNames.contains(s.name()));
            }
            StartupBench.run(env, res, subjects, startupRuns, quick ? 1 : 2);
        }
        boolean ember = emberMissing == null;
        if (ember && !java.nio.file.Files.isRegularFile(env.testGuest)) {
            emberMissing = "test guest " + env.testGuest + " not built";
            ember = false;
        }
        boolean needGuest = which.contains("memory") || which.contains("boot") || which.contains("coldboot") || which.contains("density")
                || which.contains("devices");
        StringBuilder qemuWhy = new StringBuilder();
        Path qemuGuest = null;
        if (noPeer) {
            qemuWhy = null;
        } else if (env.qemu == null) {
            qemuWhy.append("qemu-system-x86_64 not installed");
        } else if (needGuest) {
            qemuGuest = Vms.qemuGuest(env, qemuWhy);
        }
        String why = qemuWhy == null ? null : qemuWhy.toString();
        if (which.contains("coldboot")) {
            ColdBootBench.run(env, res, quick ? 2 : 10, ember, qemuGuest, why);
        }
        if (which.contains("boot")) {
            BootBench.run(env, compareEnv, res, quick ? 2 : 10, ember, qemuGuest, why);
        }
        if (which.contains("snapload")) {
            if (ember) {
                SnapshotLoadBench.run(env, compareEnv, res, quick ? 2 : 10);
            } else {
                res.skip(SnapshotLoadBench.SECTION, "request -> response", "ember", emberMissing);
            }
        }
        if (which.contains("memory")) {
            MemoryBench.run(env, res, quick ? 1 : 3, ember, qemuGuest, why);
        }
        if (which.contains("api")) {
            ApiBench.run(env, res, quick ? 100 : 1000, quick ? 20 : 200, ember, !noPeer);
        }
        if (which.contains("soak")) {
            SoakBench.run(env, res, soakSeconds != null ? soakSeconds : quick ? 20 : 120, soakConnections, ember, !noPeer);
        }
        if (which.contains("density")) {
            DensityBench.run(env, compareEnv, res, density != null ? density : quick ? List.of(3) : List.of(10, 30), ember, qemuGuest, why);
        }
        if (which.contains("devices")) {
            DeviceBench.run(env, res, quick, ember, qemuGuest, why);
        }
        res.machine("loadavg_at_end", java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim());
        res.printTable(System.out);
        Path file = out != null ? out : repo.resolve("bench/results/bench-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + (quick ? "-quick" : "") + ".json");
        res.writeJson(file);
        System.out.println("JSON: " + file);
        deleteTree(work);
        return 0;
    }

    /** Removes the scratch directory (sockets, generated configs) of this run. */
    static void deleteTree(Path dir) {
        try (var walk = java.nio.file.Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.deleteIfExists(p);
            }
        } catch (java.io.IOException e) {
            System.err.println("bench/run: could not remove " + dir + ": " + e.getMessage());
        }
    }
}
