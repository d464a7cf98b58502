package dev.ember.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where things are and how to start them: the repository, {@code bin/ember}, the JDK and JVM
 * flags {@code bin/ember} would use (asked from bin/lib/common.sh, so the harness never drifts
 * from the launcher), the AOT cache, QEMU, the test guest, and a scratch directory.
 */
public final class Env {
    public final Path repo;
    public final Path work;
    public final Path javaHome;
    public final List<String> jvmOpts;
    public final Path aotCache;
    public final int javaFeature;
    public final Path testGuest;
    public final String qemu;
    public final Path harnessClasspath;

    private Env(Path repo, Path work, Path javaHome, int javaFeature, List<String> jvmOpts, String qemu) {
        this.repo = repo;
        this.work = work;
        this.javaHome = javaHome;
        this.javaFeature = javaFeature;
        this.jvmOpts = List.copyOf(jvmOpts);
        this.aotCache = repo.resolve("api-server/target/ember.aot");
        this.testGuest = repo.resolve("guest-images/out/testguest.elf");
        this.qemu = qemu;
        this.harnessClasspath = Path.of(FloorServer.class.getProtectionDomain().getCodeSource().getLocation().getPath());
    }

    public static Env discover(Path repo, Path work) throws IOException, InterruptedException {
        if (!Files.isRegularFile(repo.resolve("bin/ember"))) {
            throw new IOException("not an Ember checkout (no bin/ember): " + repo);
        }
        Files.createDirectories(work);
        List<String> lines = Exec.lines(repo, "bash", "-c",
                ". bin/lib/common.sh && ember_pick_java >/dev/null && echo \"$JAVA_HOME\" && echo \"$EMBER_JAVA_FEATURE\" && ember_jvm_opts");
        if (lines.size() < 2) {
            throw new IOException("bin/lib/common.sh did not report a JDK: " + lines);
        }
        Path javaHome = Path.of(lines.get(0));
        int feature = Integer.parseInt(lines.get(1).trim());
        List<String> opts = lines.subList(2, lines.size());
        String qemu = Exec.which("qemu-system-x86_64");
        return new Env(repo, work, javaHome, feature, opts, qemu);
    }

    public File repoDir() {
        return repo.toFile();
    }

    public String java() {
        return javaHome.resolve("bin/java").toString();
    }

    /** True once the api-server is packaged with its dependencies and the CLI main class. */
    public String emberMissing() {
        Path target = repo.resolve("api-server/target");
        if (!Files.isDirectory(target.resolve("lib"))) {
            return "api-server/target/lib missing (run bin/build)";
        }
        if (emberJar() == null) {
            return "api-server jar missing (run bin/build)";
        }
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(emberJar().toFile())) {
            if (z.getEntry("dev/ember/cli/Main.class") == null) {
                return "dev.ember.cli.Main not in the api-server jar yet";
            }
        } catch (IOException e) {
            return "cannot read the api-server jar: " + e.getMessage();
        }
        return null;
    }

    public Path emberJar() {
        try (var s = Files.list(repo.resolve("api-server/target"))) {
            return s.filter(p -> p.getFileName().toString().matches("api-server-.*\\.jar")
                    && !p.getFileName().toString().contains("-tests")).findFirst().orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private String emberClasspath;

    /**
     * bin/ember's class path, asked from bin/lib/common.sh (its order is what the AOT cache
     * recorded; a JVM given another order runs without the cache).
     */
    public synchronized String emberClasspath() {
        if (emberClasspath == null) {
            try {
                List<String> lines = Exec.lines(repo, "bash", "-c",
                        ". bin/lib/common.sh && ember_class_path cp \"$1\" && echo \"$cp\"", "class-path", String.valueOf(emberJar()));
                emberClasspath = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException("bin/lib/common.sh did not give the class path: " + e.getMessage(), e);
            }
        }
        return emberClasspath;
    }

    public boolean hasAotCache() {
        return javaFeature >= 25 && Files.isRegularFile(aotCache);
    }

    /** {@code java <opts> -cp ember dev.ember.cli.Main <args>}: bin/ember without the script. */
    public List<String> emberJava(List<String> opts, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.addAll(opts);
        cmd.add("-cp");
        cmd.add(emberClasspath());
        cmd.add("dev.ember.cli.Main");
        cmd.addAll(args);
        return cmd;
    }

    public List<String> emberScript(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(repo.resolve("bin/ember").toString());
        cmd.addAll(args);
        return cmd;
    }

    /** The JVM flags bin/ember adds, including the AOT cache when it would use one. */
    public List<String> shippedOpts() {
        List<String> o = new ArrayList<>(jvmOpts);
        if (hasAotCache()) {
            o.add("-XX:AOTCache=" + aotCache);
        }
        return o;
    }

    /**
     * The "before" profile: ember_jvm_opts as first committed (before bench/ tuned them), with no
     * AOT cache. (That bin/ember also started an extra JVM to read the Java version: ~220 ms.)
     */
    public List<String> baselineOpts() {
        List<String> o = new ArrayList<>(List.of("-XX:+UseSerialGC", "-Xms8m", "-Xmx128m", "-Xss512k",
                "-XX:TieredStopAtLevel=1", "-XX:+UseStringDeduplication", "-Xshare:auto"));
        if (javaFeature >= 24) {
            o.addAll(List.of("-XX:+UseCompactObjectHeaders", "--sun-misc-unsafe-memory-access=allow",
                    "--enable-native-access=ALL-UNNAMED"));
        }
        return o;
    }

    /** Flags a JVM needs to run Ember at all (native access), without any tuning. */
    public List<String> requiredOpts() {
        List<String> o = new ArrayList<>();
        for (String f : jvmOpts) {
            if (f.startsWith("--enable-native-access") || f.startsWith("--sun-misc-unsafe-memory-access")) {
                o.add(f);
            }
        }
        return o;
    }

    public Map<String, String> emberEnv() {
        return Map.of("EMBER_JAVA_HOME", javaHome.toString());
    }

    public String commit() {
        try {
            List<String> l = Exec.lines(repo, "git", "rev-parse", "HEAD");
            List<String> dirty = Exec.lines(repo, "git", "status", "--porcelain", "--untracked-files=no");
            return l.get(0) + (dirty.isEmpty() ? "" : "-dirty");
        } catch (IOException | InterruptedException | IndexOutOfBoundsException e) {
            return "unknown";
        }
    }
}
