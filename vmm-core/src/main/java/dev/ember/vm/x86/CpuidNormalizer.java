package dev.ember.vm.x86;

import static dev.ember.kvm.KvmCpuidEntry2.EAX;
import static dev.ember.kvm.KvmCpuidEntry2.EBX;
import static dev.ember.kvm.KvmCpuidEntry2.ECX;
import static dev.ember.kvm.KvmCpuidEntry2.EDX;

import dev.ember.kvm.KvmCpuid2;
import dev.ember.kvm.KvmCpuidEntry2;

/**
 * Turns KVM_GET_SUPPORTED_CPUID output into the CPUID one vCPU should see: its own APIC IDs,
 * a topology consistent with the vCPU count and SMT setting (one package, {@code threadsPerCore}
 * threads per core), and features KVM or Ember cannot provide masked. The same supported list
 * is normalised once per vCPU, into a copy.
 *
 * <p>APIC IDs are dense: vCPU {@code i} has APIC ID {@code i}, so with SMT vCPUs 2k and 2k+1
 * are the two threads of core k.
 */
public final class CpuidNormalizer {
    private static final int AMD_EBX = 0x68747541;   // "Auth"
    private static final int HYGON_EBX = 0x6f677948; // "Hygo"

    static final int LEAF1_ECX_TSC_DEADLINE = 1 << 24, LEAF1_ECX_OSXSAVE = 1 << 27, LEAF1_ECX_HYPERVISOR = 1 << 31;
    static final int LEAF1_EDX_HTT = 1 << 28;
    static final int LEAF6_EAX_TURBO = 1 << 1, LEAF6_ECX_EPB = 1 << 3;
    static final int EXT1_ECX_CMP_LEGACY = 1 << 1;
    /** Extended-topology level types (leaf 0xB/0x1F ECX[15:8]). */
    static final int LEVEL_INVALID = 0, LEVEL_SMT = 1, LEVEL_CORE = 2;
    /** "KVMKVMKVM\0\0\0" as EBX, ECX, EDX of leaf 0x40000000. */
    static final int KVM_SIG_EBX = 0x4b4d564b, KVM_SIG_ECX = 0x564b4d56, KVM_SIG_EDX = 0x4d;
    static final int KVM_CPUID_SIGNATURE = 0x40000000, KVM_CPUID_FEATURES = 0x40000001;

    private CpuidNormalizer() {}

    /**
     * Rewrites {@code cpuid} in place for the vCPU with APIC ID {@code apicId}.
     *
     * @param tscDeadline KVM_CAP_TSC_DEADLINE_TIMER: the in-kernel LAPIC emulates the TSC-deadline timer
     */
    public static void normalize(KvmCpuid2 cpuid, int apicId, int vcpuCount, int threadsPerCore, boolean tscDeadline) {
        if (vcpuCount < 1 || threadsPerCore < 1 || vcpuCount % threadsPerCore != 0 && vcpuCount != 1) {
            throw new IllegalArgumentException("topology: " + vcpuCount + " vCPUs with " + threadsPerCore + " threads per core");
        }
        if (apicId < 0 || apicId >= vcpuCount) {
            throw new IllegalArgumentException("APIC ID " + apicId + " outside 0.." + (vcpuCount - 1));
        }
        int threads = Math.min(threadsPerCore, vcpuCount);
        int cores = vcpuCount / threads;
        int vendor = reg(cpuid, 0, 0, EBX);
        boolean amd = vendor == AMD_EBX || vendor == HYGON_EBX;
        int maxBasic = reg(cpuid, 0, 0, EAX);

        leaf1(cpuid, apicId, vcpuCount, tscDeadline);
        if (!amd) {
            cacheTopology(cpuid, 0x4, threads, vcpuCount, cores);
        }
        update(cpuid, 0x6, 0, EAX, v -> v & ~LEAF6_EAX_TURBO);
        update(cpuid, 0x6, 0, ECX, v -> v & ~LEAF6_ECX_EPB);
        zeroLeaf(cpuid, 0xA); // no virtual PMU
        if (maxBasic >= 0xB || cpuid.find(0xB, 0) >= 0) {
            extendedTopology(cpuid, 0xB, apicId, vcpuCount, threads);
        }
        if (cpuid.find(0x1F, 0) >= 0) {
            extendedTopology(cpuid, 0x1F, apicId, vcpuCount, threads);
        }
        hypervisorLeaves(cpuid);
        if (amd) {
            amdTopology(cpuid, apicId, vcpuCount, threads);
        }
    }

    private static void leaf1(KvmCpuid2 cpuid, int apicId, int vcpuCount, boolean tscDeadline) {
        int i = cpuid.find(0x1, 0);
        if (i < 0) {
            throw new IllegalArgumentException("supported CPUID has no leaf 1");
        }
        int ebx = cpuid.reg(i, EBX);
        int clflush = (ebx >>> 8) & 0xFF;
        if (clflush == 0) {
            clflush = 8; // 64-byte lines, in 8-byte units
        }
        cpuid.reg(i, EBX, (apicId << 24) | ((vcpuCount & 0xFF) << 16) | (clflush << 8) | (ebx & 0xFF));
        int ecx = cpuid.reg(i, ECX) | LEAF1_ECX_HYPERVISOR;
        // OSXSAVE mirrors the guest's CR4.OSXSAVE; KVM computes it at run time.
        ecx &= ~LEAF1_ECX_OSXSAVE;
        if (tscDeadline) {
            ecx |= LEAF1_ECX_TSC_DEADLINE;
        }
        cpuid.reg(i, ECX, ecx);
        int edx = cpuid.reg(i, EDX);
        cpuid.reg(i, EDX, vcpuCount > 1 ? edx | LEAF1_EDX_HTT : edx & ~LEAF1_EDX_HTT);
    }

    /** Leaf 4 (Intel) / 0x8000001D (AMD): which logical processors share each cache. */
    private static void cacheTopology(KvmCpuid2 cpuid, int leaf, int threads, int vcpuCount, int cores) {
        int n = cpuid.count();
        for (int i = 0; i < n; i++) {
            if (cpuid.function(i) != leaf) {
                continue;
            }
            int eax = cpuid.reg(i, EAX);
            if ((eax & 0x1F) == 0) {
                continue; // no more caches
            }
            int level = (eax >>> 5) & 0x7;
            int sharing = level <= 2 ? threads : vcpuCount;
            eax = (eax & 0x3FFF) | ((sharing - 1) << 14);
            if (leaf == 0x4) {
                eax |= (cores - 1) << 26;
            }
            cpuid.reg(i, EAX, eax);
        }
    }

    /** Leaf 0xB / 0x1F: SMT level, core level (covering the whole package), then the terminator. */
    private static void extendedTopology(KvmCpuid2 cpuid, int leaf, int apicId, int vcpuCount, int threads) {
        int smtShift = bitsFor(threads);
        int coreShift = Math.max(bitsFor(vcpuCount), smtShift);
        int[][] levels = {
            {smtShift, threads, (LEVEL_SMT << 8)},
            {coreShift, vcpuCount, (LEVEL_CORE << 8) | 1},
            {0, 0, (LEVEL_INVALID << 8) | 2},
        };
        for (int sub = 0; sub < levels.length; sub++) {
            int i = cpuid.find(leaf, sub);
            if (i < 0) {
                i = cpuid.add(leaf, sub, KvmCpuidEntry2.FLAG_SIGNIFICANT_INDEX);
            }
            cpuid.reg(i, EAX, levels[sub][0]);
            cpuid.reg(i, EBX, levels[sub][1]);
            cpuid.reg(i, ECX, levels[sub][2]);
            cpuid.reg(i, EDX, apicId);
        }
        int n = cpuid.count();
        for (int i = 0; i < n; i++) {
            if (cpuid.function(i) == leaf && cpuid.index(i) > 2) {
                cpuid.reg(i, EAX, 0);
                cpuid.reg(i, EBX, 0);
                cpuid.reg(i, ECX, cpuid.index(i) & 0xFF);
                cpuid.reg(i, EDX, apicId);
            }
        }
    }

    /** KVM's paravirtual leaves stay as KVM reports them; make sure the signature leaf is there. */
    private static void hypervisorLeaves(KvmCpuid2 cpuid) {
        int i = cpuid.find(KVM_CPUID_SIGNATURE, 0);
        if (i < 0) {
            i = cpuid.add(KVM_CPUID_SIGNATURE, 0, 0);
            cpuid.reg(i, EAX, cpuid.find(KVM_CPUID_FEATURES, 0) >= 0 ? KVM_CPUID_FEATURES : KVM_CPUID_SIGNATURE);
            cpuid.reg(i, EBX, KVM_SIG_EBX);
            cpuid.reg(i, ECX, KVM_SIG_ECX);
            cpuid.reg(i, EDX, KVM_SIG_EDX);
        }
    }

    private static void amdTopology(KvmCpuid2 cpuid, int apicId, int vcpuCount, int threads) {
        update(cpuid, 0x80000001, 0, ECX, v -> vcpuCount > 1 ? v | EXT1_ECX_CMP_LEGACY : v & ~EXT1_ECX_CMP_LEGACY);
        // 0x80000008 ECX: [15:12] APIC ID bits for cores, [7:0] number of threads in the package - 1.
        update(cpuid, 0x80000008, 0, ECX, v -> (v & ~0xF0FF) | (bitsFor(vcpuCount) << 12) | ((vcpuCount - 1) & 0xFF));
        cacheTopology(cpuid, 0x8000001D, threads, vcpuCount, vcpuCount / threads);
        int i = cpuid.find(0x8000001E, 0);
        if (i >= 0) {
            cpuid.reg(i, EAX, apicId); // extended APIC ID
            cpuid.reg(i, EBX, ((threads - 1) << 8) | (apicId / threads)); // threads per core - 1, core ID
            cpuid.reg(i, ECX, 0); // node 0, one node per package
            cpuid.reg(i, EDX, 0);
        }
    }

    private static void zeroLeaf(KvmCpuid2 cpuid, int leaf) {
        int n = cpuid.count();
        for (int i = 0; i < n; i++) {
            if (cpuid.function(i) == leaf) {
                cpuid.reg(i, EAX, 0);
                cpuid.reg(i, EBX, 0);
                cpuid.reg(i, ECX, 0);
                cpuid.reg(i, EDX, 0);
            }
        }
    }

    private static int reg(KvmCpuid2 cpuid, int leaf, int sub, int reg) {
        int i = cpuid.find(leaf, sub);
        return i < 0 ? 0 : cpuid.reg(i, reg);
    }

    private interface IntOp {
        int apply(int v);
    }

    private static void update(KvmCpuid2 cpuid, int leaf, int sub, int reg, IntOp op) {
        int i = cpuid.find(leaf, sub);
        if (i >= 0) {
            cpuid.reg(i, reg, op.apply(cpuid.reg(i, reg)));
        }
    }

    /** Bits needed to number {@code n} things (ceil(log2 n)). */
    static int bitsFor(int n) {
        return n <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(n - 1);
    }
}
