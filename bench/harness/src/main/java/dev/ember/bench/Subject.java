package dev.ember.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Something whose start-up and control plane are measured: an Ember variant (as bin/ember
 * ships, the JVM run directly, without the AOT cache, without tuning), the JVM floor, or QEMU.
 * {@code command} maps the control socket path to the command line.
 */
public record Subject(String name, String description, Function<Path, List<String>> command, Map<String, String> env,
                      Protocol protocol) {

    /** How the subject's control socket says it is ready. */
    public enum Protocol {
        /** HTTP/1.1: {@code GET /} answered with 200. */
        HTTP,
        /** QMP: the greeting line. */
        QMP
    }

    /** Connects to the control socket once and checks it answers; throws if not ready yet. */
    public void probe(Path socket) throws IOException {
        if (protocol == Protocol.HTTP) {
            try (UnixHttpClient c = UnixHttpClient.connect(socket)) {
                UnixHttpClient.Response r = c.send("GET", "/", null);
                if (r.status() != 200) {
                    throw new IOException("GET / answered " + r.status() + ": " + r.body());
                }
            }
        } else {
            try (QmpClient q = QmpClient.connect(socket)) {
                q.greeting();
            }
        }
    }

    public boolean isPeer() {
        return name.startsWith("qemu");
    }

    static Subject emberScript(Env env) {
        return new Subject("ember", "bin/ember --api-sock (as shipped: script + ember_jvm_opts"
                + (env.hasAotCache() ? " + AOT cache)" : ", no AOT cache built)"),
                sock -> env.emberScript(List.of("--api-sock", sock.toString())), env.emberEnv(), Protocol.HTTP);
    }

    /** The name of the other checkout's Ember in every section that runs it ({@code --compare}). */
    static final String COMPARE = "ember-compare";

    /** bin/ember of another built checkout (--compare), e.g. the code before a change, interleaved with this one. */
    static Subject emberCompare(Env other) {
        return new Subject(COMPARE, "bin/ember --api-sock of " + other.repo + " (--compare"
                + (other.hasAotCache() ? ", its AOT cache)" : ", no AOT cache built)"),
                sock -> other.emberScript(List.of("--api-sock", sock.toString())), other.emberEnv(), Protocol.HTTP);
    }

    /** The runtime image bin/ember-jailer execs; the jailed subject runs only when it is built and we are root. */
    static Path jailedImage(Env env) {
        return env.repo.resolve("jailer/target/ember-runtime/bin/ember");
    }

    /**
     * bin/ember-jailer starting the runtime image's VMM in a fresh jail (new PID namespace, uid
     * and gid 64123) up to GET / answered on the socket inside it; {@code sock} becomes a link to
     * that socket, so the probe is the same as the other subjects'. CPU and memory are the
     * jailer process's own (the VMM is its child in another PID namespace, not yet reaped).
     */
    static Subject emberJailed(Env env) {
        return emberJailed(env, "ember-jailed", "");
    }

    /** The name of the other checkout's jailed start ({@code --compare}). */
    static final String JAILED_COMPARE = "ember-jailed-compare";

    /** {@link #emberJailed} of another built checkout (--compare), interleaved with this one's. */
    static Subject emberJailedCompare(Env other) {
        return emberJailed(other, JAILED_COMPARE, " of " + other.repo + " (--compare)");
    }

    private static Subject emberJailed(Env env, String name, String whose) {
        Path jails = env.work.resolve("jails");
        java.util.concurrent.atomic.AtomicInteger started = new java.util.concurrent.atomic.AtomicInteger();
        return new Subject(name, "bin/ember-jailer --exec-file jailer/target/ember-runtime/bin/ember" + whose + " (the jail's"
                + " /run/firecracker.socket; CPU/memory: the jailer process only)",
                sock -> {
                    String id = "bench-" + ProcessHandle.current().pid() + "-" + started.incrementAndGet();
                    Path inJail = jails.resolve("ember").resolve(id).resolve("root/run/firecracker.socket");
                    try {
                        java.nio.file.Files.deleteIfExists(sock);
                        java.nio.file.Files.createSymbolicLink(sock, inJail);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    return List.of(env.repo.resolve("bin/ember-jailer").toString(), "--id", id, "--exec-file",
                            jailedImage(env).toString(), "--uid", "64123", "--gid", "64123", "--chroot-base-dir", jails.toString());
                }, Map.of(), Protocol.HTTP);
    }

    static Subject emberJava(Env env) {
        return new Subject("ember-java", "java <ember_jvm_opts" + (env.hasAotCache() ? " + AOT cache" : "")
                + "> dev.ember.cli.Main (no launcher script)",
                sock -> env.emberJava(env.shippedOpts(), List.of("--api-sock", sock.toString())), Map.of(), Protocol.HTTP);
    }

    static Subject emberNoAot(Env env) {
        List<String> opts = new ArrayList<>(env.jvmOpts);
        if (env.javaFeature >= 25) {
            opts.add("-XX:AOTMode=off");
        }
        return new Subject("ember-noaot", "java <ember_jvm_opts> without AOT cache (default CDS only)",
                sock -> env.emberJava(opts, List.of("--api-sock", sock.toString())), Map.of(), Protocol.HTTP);
    }

    static Subject emberUntuned(Env env) {
        return new Subject("ember-untuned", "java with only the flags Ember needs (default GC, heap, JIT; no AOT)",
                sock -> env.emberJava(env.requiredOpts(), List.of("--api-sock", sock.toString())), Map.of(), Protocol.HTTP);
    }

    static Subject emberBaseline(Env env) {
        return new Subject("ember-before", "java <ember_jvm_opts before tuning>, no AOT cache (bench/ baseline)",
                sock -> env.emberJava(env.baselineOpts(), List.of("--api-sock", sock.toString())), Map.of(), Protocol.HTTP);
    }

    static Subject floor(Env env) {
        return new Subject("jvm-floor", "java <ember_jvm_opts> FloorServer: JDK-only GET / on a Unix socket",
                sock -> {
                    List<String> cmd = new ArrayList<>();
                    cmd.add(env.java());
                    cmd.addAll(env.jvmOpts);
                    cmd.add("-cp");
                    cmd.add(env.harnessClasspath.toString());
                    cmd.add(FloorServer.class.getName());
                    cmd.add(sock.toString());
                    return cmd;
                }, Map.of(), Protocol.HTTP);
    }

    static Subject qemu(Env env) {
        return new Subject("qemu", "qemu-system-x86_64 -M microvm -S -nodefaults -nographic -qmp (QEMU "
                + Exec.firstLine(env.repo, env.qemu, "--version").replace("QEMU emulator version ", "") + ")",
                sock -> List.of(env.qemu, "-M", "microvm", "-S", "-nodefaults", "-nographic",
                        "-qmp", "unix:" + sock + ",server=on,wait=off"), Map.of(), Protocol.QMP);
    }
}
