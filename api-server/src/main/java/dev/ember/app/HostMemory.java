package dev.ember.app;

import dev.ember.config.MachineConfig;
import dev.ember.config.UnsignedMib;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether this host can back a guest's memory. Guest memory is mapped without reserving it, so
 * a size past what the host has boots and fails later, when the guest touches it; it is refused
 * at InstanceStart instead, with the figures.
 */
final class HostMemory {
    private HostMemory() {}

    /**
     * Throws when {@code memMib} (unsigned: machine-config accepts up to 2^64−1, as Firecracker's
     * does) is more than Ember maps or more than RAM plus swap as {@code meminfo} (the text of
     * /proc/meminfo) gives them.
     */
    static void requireBackable(long memMib, String meminfo) throws VmmException {
        long ramKib = field(meminfo, "MemTotal:");
        long swapKib = field(meminfo, "SwapTotal:");
        if (Long.compareUnsigned(memMib, MachineConfig.MAX_MEM_SIZE_MIB) > 0) {
            throw new VmmException("machine-config.mem_size_mib is " + UnsignedMib.toString(memMib)
                    + " MiB, more guest memory than Ember can map (64 TiB); PUT /machine-config with a mem_size_mib of at most "
                    + (ramKib < 0 ? MachineConfig.MAX_MEM_SIZE_MIB : Math.min(MachineConfig.MAX_MEM_SIZE_MIB, (ramKib + Math.max(0, swapKib)) >> 10))
                    + (ramKib < 0 ? "" : " (what this host can back)"));
        }
        if (ramKib < 0) {
            return; // not Linux's format: nothing to judge by
        }
        long hostMib = (ramKib + Math.max(0, swapKib)) >> 10;
        if (memMib > hostMib) {
            throw new VmmException("machine-config.mem_size_mib is " + memMib + " MiB, more than this host can back ("
                    + (ramKib >> 10) + " MiB RAM + " + (Math.max(0, swapKib) >> 10) + " MiB swap); give at most " + hostMib);
        }
    }

    static void requireBackable(long memMib) throws VmmException {
        String meminfo;
        try {
            meminfo = Files.readString(Path.of("/proc/meminfo"));
        } catch (IOException e) {
            return; // no figures to judge by: let the kernel decide
        }
        requireBackable(memMib, meminfo);
    }

    private static long field(String meminfo, String name) {
        for (String line : meminfo.split("\n")) {
            if (line.startsWith(name)) {
                String[] parts = line.substring(name.length()).trim().split("\\s+");
                try {
                    return Long.parseLong(parts[0]);
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }
}
