package dev.ember.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starting test-guest VMs in Ember (through its API, as Firecracker is driven, or from a config
 * file) and in QEMU (microvm, TCG, the test guest's PVH build), 1 vCPU.
 */
final class Vms {
    /** The test guest's greeting (scenario {@code hello}) and tick line (scenario {@code idle}). */
    static final String TICK = "tick \\d+";
    static final String HELLO = "Hello from the Ember test guest";

    /** A started VM: the process, its control socket (may be null) and when InstanceStart/cont was sent. */
    record Vm(Child child, Path socket, long startRequestNanos, long startAnsweredNanos) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            child.close();
        }
    }

    private Vms() {}

    static String bootArgs(String scenario) {
        return "console=ttyS0 ember.test=" + scenario;
    }

    /** Ember with {@code --api-sock}: configure through PUTs, then InstanceStart (timed). */
    static Vm emberApi(Env env, String name, String scenario, int memMib, List<String> extraArgs) throws IOException, InterruptedException {
        return emberApi(env, name, scenario, memMib, extraArgs, 0);
    }

    /** {@link #emberApi(Env, String, String, int, List)}, InstanceStart sent {@code settleMs} after the PUTs were answered. */
    static Vm emberApi(Env env, String name, String scenario, int memMib, List<String> extraArgs, long settleMs)
            throws IOException, InterruptedException {
        Path sock = env.work.resolve(name + ".sock");
        Files.deleteIfExists(sock);
        List<String> args = new ArrayList<>(List.of("--api-sock", sock.toString()));
        args.addAll(extraArgs);
        Subject s = Subject.emberScript(env);
        Child c = Child.start(env.emberScript(args), env.repoDir(), s.env());
        try {
            StartupBench.awaitReady(c, s, sock, 60_000);
            try (UnixHttpClient http = UnixHttpClient.connect(sock)) {
                expect(http.send("PUT", "/boot-source", "{\"kernel_image_path\":\"" + env.testGuest
                        + "\",\"boot_args\":\"" + bootArgs(scenario) + "\"}"), "PUT /boot-source");
                expect(http.send("PUT", "/machine-config", "{\"vcpu_count\":1,\"mem_size_mib\":" + memMib + "}"),
                        "PUT /machine-config");
                if (settleMs > 0) {
                    Thread.sleep(settleMs);
                }
                long t0 = System.nanoTime();
                expect(http.send("PUT", "/actions", "{\"action_type\":\"InstanceStart\"}"), "PUT /actions InstanceStart");
                long t1 = System.nanoTime();
                return new Vm(c, sock, t0, t1);
            }
        } catch (IOException | RuntimeException e) {
            c.close();
            throw new IOException(e.getMessage() + "\n" + c.describe(), e);
        }
    }

    /** QEMU booting the test guest straight away (no -S, no QMP): the peer of a config-file boot. */
    static Vm qemuDirect(Env env, Path guest, String scenario, int memMib) throws IOException {
        List<String> cmd = List.of(env.qemu, "-M", "microvm", "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", memMib + "M",
                "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio", "-no-reboot",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=1",
                "-kernel", guest.toString(), "-append", bootArgs(scenario));
        long t0 = System.nanoTime();
        return new Vm(Child.start(cmd, env.repoDir(), Map.of()), null, t0, t0);
    }

    static QmpClient awaitQmp(Child c, Path sock, long timeoutMs) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (true) {
            if (Files.exists(sock)) {
                try {
                    return QmpClient.connect(sock);
                } catch (IOException e) {
                    // not listening yet, or the previous client is still being dropped
                }
            }
            if (!c.isAlive() || System.nanoTime() > deadline) {
                throw new IOException("QEMU's QMP socket " + sock + " never greeted\n" + c.describe());
            }
            Thread.sleep(1);
        }
    }

    /** Ember with {@code --no-api --config-file}, as bin/ember ships. */
    static Vm emberConfig(Env env, String name, String scenario, int memMib) throws IOException {
        return emberConfig(env, name, scenario, memMib, false);
    }

    /** Ember with {@code --no-api --config-file}; {@code baseline}: the "before" JVM flags, no AOT cache. */
    static Vm emberConfig(Env env, String name, String scenario, int memMib, boolean baseline) throws IOException {
        Path cfg = env.work.resolve(name + ".json");
        Files.writeString(cfg, "{\"boot-source\":{\"kernel_image_path\":\"" + env.testGuest + "\",\"boot_args\":\""
                + bootArgs(scenario) + "\"},\"machine-config\":{\"vcpu_count\":1,\"mem_size_mib\":" + memMib + "}}\n");
        List<String> args = List.of("--no-api", "--config-file", cfg.toString());
        long t0 = System.nanoTime();
        Child c = baseline ? Child.start(env.emberJava(env.baselineOpts(), args), env.repoDir(), Map.of())
                : Child.start(env.emberScript(args), env.repoDir(), env.emberEnv());
        return new Vm(c, null, t0, t0);
    }

    static void expect(UnixHttpClient.Response r, String what) throws IOException {
        if (r.status() / 100 != 2) {
            throw new IOException(what + " answered " + r.status() + ": " + r.body());
        }
    }

    /** The test guest built with a PVH note for QEMU; built on demand, null (with reason) if it cannot be. */
    static Path qemuGuest(Env env, StringBuilder why) {
        Path elf = env.repo.resolve("guest-images/out/testguest-qemu.elf");
        Path src = env.repo.resolve("guest-images/testguest");
        if (!Files.isDirectory(src)) {
            why.append("guest-images/testguest not on this branch yet");
            return null;
        }
        try {
            Exec.lines(env.repo, "make", "-s", "-C", src.toString(), "qemu");
        } catch (IOException | InterruptedException e) {
            why.append("make -C guest-images/testguest qemu failed: ").append(e.getMessage());
            return null;
        }
        if (!Files.isRegularFile(elf)) {
            why.append("make qemu did not produce ").append(elf);
            return null;
        }
        return elf;
    }

    /**
     * QEMU microvm under TCG booting the test guest: started paused ({@code -S}) with QMP,
     * then {@code cont} (timed) — the peer's equivalent of InstanceStart.
     */
    static Vm qemu(Env env, Path guest, String name, String scenario, int memMib) throws IOException, InterruptedException {
        Path sock = env.work.resolve(name + ".qmp");
        Files.deleteIfExists(sock);
        List<String> cmd = List.of(env.qemu, "-M", "microvm", "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", memMib + "M",
                "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio", "-S",
                "-qmp", "unix:" + sock + ",server=on,wait=off", "-no-reboot",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=1",
                "-kernel", guest.toString(), "-append", bootArgs(scenario));
        Child c = Child.start(cmd, env.repoDir(), Map.of());
        try {
            // QMP serves one client at a time: keep the first connection that gets the greeting.
            try (QmpClient q = awaitQmp(c, sock, 60_000)) {
                q.execute("qmp_capabilities");
                long t0 = System.nanoTime();
                String r = q.execute("cont");
                long t1 = System.nanoTime();
                if (!r.contains("\"return\"")) {
                    throw new IOException("QMP cont failed: " + r);
                }
                return new Vm(c, sock, t0, t1);
            }
        } catch (IOException | RuntimeException e) {
            c.close();
            throw new IOException(e.getMessage() + "\n" + c.describe(), e);
        }
    }
}
