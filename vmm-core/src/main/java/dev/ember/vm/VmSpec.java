package dev.ember.vm;

/**
 * What {@link Vm#create} builds: the machine shape, validated on construction.
 *
 * @param vcpuCount    1..{@link #MAX_VCPUS}; with {@code smt}, 1 or even (two threads per core)
 * @param memSizeBytes guest RAM, a positive multiple of 4 KiB
 * @param smt          present two hardware threads per core in the CPUID topology
 */
public record VmSpec(int vcpuCount, long memSizeBytes, boolean smt) {
    public static final int MAX_VCPUS = 32;
    /** The smallest guest that can hold the boot structures below 1 MiB and a kernel above it. */
    public static final long MIN_MEM_BYTES = 2L << 20;

    public VmSpec {
        if (vcpuCount < 1 || vcpuCount > MAX_VCPUS) {
            throw new VmConfigurationException("vcpu_count is " + vcpuCount + "; set it to a value from 1 to " + MAX_VCPUS);
        }
        if (smt && vcpuCount > 1 && vcpuCount % 2 != 0) {
            throw new VmConfigurationException("vcpu_count is " + vcpuCount + " with smt enabled; use 1 or an even count, or disable smt");
        }
        if (memSizeBytes < MIN_MEM_BYTES || (memSizeBytes & 0xFFF) != 0) {
            throw new VmConfigurationException("mem_size is " + memSizeBytes + " bytes; use a multiple of 4 KiB of at least "
                    + (MIN_MEM_BYTES >> 20) + " MiB");
        }
    }

    /** Hardware threads per core in the topology the guest sees. */
    public int threadsPerCore() {
        return smt && vcpuCount > 1 ? 2 : 1;
    }
}
