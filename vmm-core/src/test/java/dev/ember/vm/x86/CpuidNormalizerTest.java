package dev.ember.vm.x86;

import static dev.ember.kvm.KvmCpuidEntry2.EAX;
import static dev.ember.kvm.KvmCpuidEntry2.EBX;
import static dev.ember.kvm.KvmCpuidEntry2.ECX;
import static dev.ember.kvm.KvmCpuidEntry2.EDX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.kvm.Kvm;
import dev.ember.kvm.KvmCpuid2;
import dev.ember.kvm.KvmCpuidEntry2;
import dev.ember.testing.TestTags;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class CpuidNormalizerTest {
    private static final int AMD_EBX = 0x68747541;

    private static KvmCpuid2 supported() {
        if (!Kvm.available()) {
            System.out.println("SKIPPED: " + Kvm.DEVICE + " is absent; no supported CPUID to normalise");
        }
        assumeTrue(Kvm.available(), Kvm.DEVICE + " is absent");
        try (Kvm kvm = Kvm.open()) {
            return kvm.supportedCpuid();
        }
    }

    private static KvmCpuid2 normalisedCopy(KvmCpuid2 supported, int apicId, int count, int threads) {
        KvmCpuid2 c = new KvmCpuid2(KvmCpuid2.MAX_ENTRIES);
        c.copyFrom(supported);
        CpuidNormalizer.normalize(c, apicId, count, threads, true);
        return c;
    }

    private static int reg(KvmCpuid2 c, int leaf, int sub, int reg) {
        int i = c.find(leaf, sub);
        assertTrue(i >= 0, String.format("leaf 0x%x.%d missing", leaf, sub));
        return c.reg(i, reg);
    }

    @Test
    @Tag(TestTags.NEEDS_KVM)
    void realSupportedCpuidGetsPerVcpuApicIdsAndAConsistentSmtTopology() {
        KvmCpuid2 supported = supported();
        boolean amd = reg(supported, 0, 0, EBX) == AMD_EBX;
        for (int apicId = 0; apicId < 4; apicId++) {
            KvmCpuid2 c = normalisedCopy(supported, apicId, 4, 2);
            int ebx1 = reg(c, 1, 0, EBX);
            assertEquals(apicId, ebx1 >>> 24, "leaf 1 initial APIC ID");
            assertEquals(4, (ebx1 >>> 16) & 0xFF, "leaf 1 logical processor count");
            assertTrue((reg(c, 1, 0, EDX) & CpuidNormalizer.LEAF1_EDX_HTT) != 0, "HTT with 4 logical processors");
            assertTrue((reg(c, 1, 0, ECX) & CpuidNormalizer.LEAF1_ECX_HYPERVISOR) != 0, "hypervisor bit");
            assertTrue((reg(c, 1, 0, ECX) & CpuidNormalizer.LEAF1_ECX_TSC_DEADLINE) != 0, "TSC deadline timer");
            assertEquals(0, reg(c, 1, 0, ECX) & CpuidNormalizer.LEAF1_ECX_OSXSAVE, "OSXSAVE is KVM's to compute");

            // 0xB: SMT level (2 threads, shift 1), core level (4 logical, shift 2), then the terminator.
            assertEquals(1, reg(c, 0xB, 0, EAX));
            assertEquals(2, reg(c, 0xB, 0, EBX));
            assertEquals(0x100, reg(c, 0xB, 0, ECX));
            assertEquals(2, reg(c, 0xB, 1, EAX));
            assertEquals(4, reg(c, 0xB, 1, EBX));
            assertEquals(0x201, reg(c, 0xB, 1, ECX));
            assertEquals(0, reg(c, 0xB, 2, EBX));
            assertEquals(2, reg(c, 0xB, 2, ECX));
            for (int sub = 0; sub < 3; sub++) {
                assertEquals(apicId, reg(c, 0xB, sub, EDX), "x2APIC ID in 0xB." + sub);
            }

            assertEquals(CpuidNormalizer.KVM_SIG_EBX, reg(c, 0x40000000, 0, EBX));
            assertEquals(CpuidNormalizer.KVM_SIG_ECX, reg(c, 0x40000000, 0, ECX));
            assertEquals(CpuidNormalizer.KVM_SIG_EDX, reg(c, 0x40000000, 0, EDX));
            assertEquals(reg(supported, 0x40000001, 0, EAX), reg(c, 0x40000001, 0, EAX), "KVM features passed through");
            assertEquals(0, reg(c, 0xA, 0, EAX) | reg(c, 0xA, 0, EBX) | reg(c, 0xA, 0, ECX) | reg(c, 0xA, 0, EDX), "no PMU");

            if (amd) {
                assertEquals(3, reg(c, 0x80000008, 0, ECX) & 0xFF, "AMD: threads in package - 1");
                assertEquals(2, (reg(c, 0x80000008, 0, ECX) >>> 12) & 0xF, "AMD: APIC ID core bits");
                if (c.find(0x8000001E, 0) >= 0) {
                    assertEquals(apicId, reg(c, 0x8000001E, 0, EAX), "AMD: extended APIC ID");
                    assertEquals((1 << 8) | (apicId / 2), reg(c, 0x8000001E, 0, EBX), "AMD: threads per core - 1, core ID");
                }
                for (int sub = 0; c.find(0x8000001D, sub) >= 0 && (reg(c, 0x8000001D, sub, EAX) & 0x1F) != 0; sub++) {
                    int eax = reg(c, 0x8000001D, sub, EAX);
                    int level = (eax >>> 5) & 7;
                    assertEquals(level <= 2 ? 1 : 3, (eax >>> 14) & 0xFFF, "AMD: sharing of L" + level);
                }
            }
        }
    }

    @Test
    @Tag(TestTags.NEEDS_KVM)
    void singleVcpuHasNoHyperThreadingAndOneThreadPerCore() {
        KvmCpuid2 c = normalisedCopy(supported(), 0, 1, 1);
        assertEquals(0, reg(c, 1, 0, EBX) >>> 24);
        assertEquals(1, (reg(c, 1, 0, EBX) >>> 16) & 0xFF);
        assertEquals(0, reg(c, 1, 0, EDX) & CpuidNormalizer.LEAF1_EDX_HTT);
        assertEquals(0, reg(c, 0xB, 0, EAX));
        assertEquals(1, reg(c, 0xB, 0, EBX));
        assertEquals(1, reg(c, 0xB, 1, EBX));
    }

    @Test
    void intelCacheLeafDescribesCoresAndSharing() {
        // An Intel-style table (data only): vendor, leaf 1, and three caches in leaf 4.
        KvmCpuid2 c = new KvmCpuid2(16);
        c.count(0);
        int l0 = c.add(0, 0, 0);
        c.reg(l0, EAX, 0xB);
        c.reg(l0, EBX, 0x756e6547);
        c.add(1, 0, 0);
        int[] caches = {0x121, 0x143, 0x163}; // L1d, L2 unified, L3 unified
        for (int sub = 0; sub < caches.length; sub++) {
            int i = c.add(4, sub, KvmCpuidEntry2.FLAG_SIGNIFICANT_INDEX);
            c.reg(i, EAX, caches[sub] | (0x3F << 26) | (0xFFF << 14));
        }
        c.add(4, 3, KvmCpuidEntry2.FLAG_SIGNIFICANT_INDEX); // terminator: type 0
        CpuidNormalizer.normalize(c, 5, 8, 2, false);
        for (int sub = 0; sub < 3; sub++) {
            int eax = reg(c, 4, sub, EAX);
            assertEquals(3, eax >>> 26, "cores per package - 1");
            assertEquals(sub < 2 ? 1 : 7, (eax >>> 14) & 0xFFF, "logical processors sharing cache " + sub + " - 1");
            assertEquals(caches[sub], eax & 0x3FFF, "cache type and level kept");
        }
        assertEquals(0, reg(c, 4, 3, EAX));
        assertEquals(5, reg(c, 0xB, 0, EDX), "0xB added for a table that lacked it");
        assertEquals(0, reg(c, 1, 0, ECX) & CpuidNormalizer.LEAF1_ECX_TSC_DEADLINE, "no TSC deadline without the capability");
    }

    @Test
    void rejectsTopologiesThatDoNotAddUp() {
        KvmCpuid2 c = new KvmCpuid2(4);
        assertThrows(IllegalArgumentException.class, () -> CpuidNormalizer.normalize(c, 4, 4, 1, false));
        assertThrows(IllegalArgumentException.class, () -> CpuidNormalizer.normalize(c, 0, 3, 2, false));
    }

    @Test
    void bitsForCountsApicIdBits() {
        assertEquals(0, CpuidNormalizer.bitsFor(1));
        assertEquals(1, CpuidNormalizer.bitsFor(2));
        assertEquals(2, CpuidNormalizer.bitsFor(3));
        assertEquals(5, CpuidNormalizer.bitsFor(32));
    }
}
