package dev.ember.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/** What the figures were measured on: CPU, cores, memory, kernel, KVM flavour, JDK, commit, load. */
final class MachineInfo {
    private MachineInfo() {}

    static void record(Env env, Results res) {
        res.machine("date", Instant.now().toString());
        res.machine("cpu", grep("/proc/cpuinfo", "model name"));
        res.machine("cores_online", Runtime.getRuntime().availableProcessors());
        res.machine("mem_total", grep("/proc/meminfo", "MemTotal"));
        res.machine("kernel", read("/proc/sys/kernel/osrelease"));
        boolean pvm = Files.isDirectory(Path.of("/sys/module/kvm_pvm"));
        res.machine("kvm", pvm ? "PVM (kvm_pvm, software virtualization: guest code emulated)"
                : Files.exists(Path.of("/dev/kvm")) ? "hardware KVM" : "no /dev/kvm");
        if (pvm) {
            res.machine("pvm_native", read("/sys/module/kvm_pvm/parameters/pvm_native"));
        }
        res.machine("hypervisor_cpuid_flag", grep("/proc/cpuinfo", "flags").contains(" hypervisor"));
        res.machine("loadavg_at_start", read("/proc/loadavg"));
        res.machine("jdk_home", env.javaHome.toString());
        res.machine("jdk_version", Exec.firstLine(env.repo, "bash", "-c", "'" + env.java() + "' -version 2>&1 | sed -n 2p"));
        res.machine("jvm_opts_shipped", String.join(" ", env.shippedOpts()));
        res.machine("aot_cache", env.hasAotCache() ? env.aotCache.toString() : "none");
        res.machine("commit", env.commit());
        res.machine("qemu", env.qemu == null ? "not installed" : Exec.firstLine(env.repo, env.qemu, "--version"));
        res.note("Noisy machine: 2 shared, virtualised cores (other jobs run alongside); read medians and spreads, not single runs.");
        if (pvm) {
            res.note("/dev/kvm here is PVM, a software hypervisor: guest code is emulated (~1 us/instruction), so guest-side"
                    + " times are not hardware-KVM times. QEMU runs under TCG in the start-up, boot, memory and density"
                    + " sections (its KVM mode hangs in firmware booting Linux on PVM); the devices section probes QEMU's"
                    + " KVM mode with the test guest and uses it when it works (default CPU model).");
        }
    }

    private static String read(String path) {
        try {
            return Files.readString(Path.of(path)).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String grep(String path, String key) {
        try {
            for (String l : Files.readAllLines(Path.of(path))) {
                if (l.startsWith(key)) {
                    return l.substring(l.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return "unknown";
    }
}
