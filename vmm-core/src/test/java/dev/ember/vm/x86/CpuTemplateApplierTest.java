package dev.ember.vm.x86;

import static dev.ember.kvm.KvmCpuidEntry2.EAX;
import static dev.ember.kvm.KvmCpuidEntry2.EBX;
import static dev.ember.kvm.KvmCpuidEntry2.ECX;
import static dev.ember.kvm.KvmCpuidEntry2.EDX;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.kvm.KvmCpuid2;
import dev.ember.vm.x86.GuestCpuTemplate.CpuidLeafModifier;
import dev.ember.vm.x86.GuestCpuTemplate.CpuidRegisterModifier;
import dev.ember.vm.x86.GuestCpuTemplate.HostRequirement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The applier on hand-made CPUID tables: what changes, what stays, and Firecracker's refusals. */
class CpuTemplateApplierTest {
    private static final int AMD_EBX = 0x68747541, INTEL_EBX = 0x756e6547;

    private static KvmCpuid2 table(int vendorEbx, int leaf1Eax) {
        KvmCpuid2 c = new KvmCpuid2(16);
        c.count(0);
        int i = c.add(0, 0, 0);
        c.reg(i, EBX, vendorEbx);
        i = c.add(1, 0, 0);
        c.reg(i, EAX, leaf1Eax);
        c.reg(i, ECX, 0xF0F0_F0F0);
        c.reg(i, EDX, 0x1234_5678);
        i = c.add(7, 0, 1);
        c.reg(i, EBX, 0xFFFF_FFFF);
        return c;
    }

    private static GuestCpuTemplate template(HostRequirement host, CpuidLeafModifier... leaves) {
        return new GuestCpuTemplate("test", host, List.of(leaves), List.of(), List.of());
    }

    private static CpuidLeafModifier leaf(int leaf, int subleaf, int flags, int register, long filter, long value) {
        return new CpuidLeafModifier(leaf, subleaf, flags, List.of(new CpuidRegisterModifier(register, new RegisterBits(filter, value))));
    }

    @Test
    void filteredBitsTakeTheTemplatesValueAndTheOthersStay() {
        KvmCpuid2 c = table(AMD_EBX, 0);
        // ECX: bits 4..7 forced to 0101, bit 31 cleared; EDX untouched.
        CpuTemplateApplier.applyCpuid(template(HostRequirement.ANY, leaf(1, 0, 0, ECX, 0x8000_00F0L, 0x50)), c);
        int i = c.findExact(1, 0);
        assertEquals(0x70F0_F050, c.reg(i, ECX));
        assertEquals(0x1234_5678, c.reg(i, EDX));
    }

    @Test
    void theModifiersFlagsReplaceTheEntrysFlags() {
        KvmCpuid2 c = table(AMD_EBX, 0);
        CpuTemplateApplier.applyCpuid(template(HostRequirement.ANY, leaf(7, 0, 0, EBX, 1, 0)), c);
        int i = c.findExact(7, 0);
        assertEquals(0, c.flags(i));
        assertEquals(0xFFFF_FFFE, c.reg(i, EBX));
    }

    @Test
    void aLeafOrSubleafKvmDoesNotReportIsRefusedWithFirecrackersText() {
        KvmCpuid2 c = table(AMD_EBX, 0);
        CpuTemplateException e = assertThrows(CpuTemplateException.class,
                () -> CpuTemplateApplier.applyCpuid(template(HostRequirement.ANY, leaf(0x80000021, 0, 0, EAX, 1, 0)), c));
        assertEquals(CpuTemplateException.Reason.CPUID_ENTRY_NOT_SUPPORTED, e.reason());
        assertEquals("Template changes a CPUID entry not supported by KVM: Leaf: 80000021, Subleaf: 0", e.getMessage());
        // Leaf 7 exists, subleaf 1 does not: the subleaf must match exactly.
        e = assertThrows(CpuTemplateException.class,
                () -> CpuTemplateApplier.applyCpuid(template(HostRequirement.ANY, leaf(7, 1, 1, EAX, 1, 0)), c));
        assertTrue(e.getMessage().endsWith("Leaf: 7, Subleaf: 1"), e.getMessage());
    }

    @Test
    void staticTemplatesAreForTheirVendorOnly() {
        KvmCpuid2 amd = table(AMD_EBX, 0x00a10f11);
        KvmCpuid2 intel = table(INTEL_EBX, 0x00050657); // Cascade Lake
        for (String name : List.of("T2", "T2S", "T2CL", "C3")) {
            CpuTemplateException e = assertThrows(CpuTemplateException.class,
                    () -> CpuTemplateApplier.checkHost(StaticCpuTemplates.byName(name), amd), name);
            assertEquals(CpuTemplateException.Reason.VENDOR_MISMATCH, e.reason());
            assertEquals("CPU vendor mismatched between actual CPU and CPU template.", e.getMessage());
            assertDoesNotThrow(() -> CpuTemplateApplier.checkHost(StaticCpuTemplates.byName(name), intel), name);
        }
        assertDoesNotThrow(() -> CpuTemplateApplier.checkHost(StaticCpuTemplates.t2a(), amd));
        assertEquals(CpuTemplateException.Reason.VENDOR_MISMATCH,
                assertThrows(CpuTemplateException.class, () -> CpuTemplateApplier.checkHost(StaticCpuTemplates.t2a(), intel)).reason());
        assertEquals("AMD", CpuTemplateApplier.vendorName(amd));
        assertEquals("Intel", CpuTemplateApplier.vendorName(intel));
    }

    @Test
    void t2clNeedsCascadeLakeOrLater() {
        KvmCpuid2 skylake = table(INTEL_EBX, 0x00050654);
        CpuTemplateException e = assertThrows(CpuTemplateException.class,
                () -> CpuTemplateApplier.checkHost(StaticCpuTemplates.t2cl(), skylake));
        assertEquals(CpuTemplateException.Reason.CPU_MODEL, e.reason());
        assertEquals("The current CPU model is not permitted to apply the CPU template.", e.getMessage());
        assertTrue(CpuTemplateApplier.atLeastCascadeLake(0x00050657));
        assertTrue(CpuTemplateApplier.atLeastCascadeLake(0x000606A6)); // Ice Lake server
        assertFalse(CpuTemplateApplier.atLeastCascadeLake(0x000406F1)); // Broadwell
    }

    @Test
    void everyListedCapabilityMustBePresent() {
        GuestCpuTemplate t = new GuestCpuTemplate("cpu-config", HostRequirement.ANY, List.of(), List.of(), List.of(0, 300));
        Map<Integer, Integer> kvm = Map.of(0, 1);
        CpuTemplateException e = assertThrows(CpuTemplateException.class,
                () -> CpuTemplateApplier.checkCapabilities(t, cap -> kvm.getOrDefault(cap, 0)));
        assertEquals(CpuTemplateException.Reason.MISSING_KVM_CAPABILITY, e.reason());
        assertEquals("Missing KVM capabilities: 0x12c", e.getMessage());
        assertDoesNotThrow(() -> CpuTemplateApplier.checkCapabilities(t, cap -> 1));
    }

    @Test
    void t2aHidesSvmAndTheXsaveExtensionsAndReportsHaswellsSignature() {
        KvmCpuid2 c = new KvmCpuid2(16);
        c.count(0);
        for (int[] key : new int[][] {{1, 0, 0}, {7, 0, 1}, {0xd, 0, 1}, {0xd, 1, 1}, {0x80000001, 0, 0}, {0x80000008, 0, 0}}) {
            int i = c.add(key[0], key[1], key[2]);
            for (int reg : new int[] {EAX, EBX, ECX, EDX}) {
                c.reg(i, reg, 0xFFFF_FFFF);
            }
        }
        CpuTemplateApplier.applyCpuid(StaticCpuTemplates.t2a(), c);
        assertEquals(0xF003_C6F2, c.reg(c.findExact(1, 0), EAX), "family 6 model 0x3f stepping 2; bits 12-13 and 28-31 kept");
        assertEquals(0, c.reg(c.findExact(0x80000001, 0), ECX) & (1 << 2), "SVM");
        assertEquals(0xFFFF_FFF1, c.reg(c.findExact(0xd, 1), EAX), "XSAVEC, XGETBV1, XSAVES");
        int ebx8 = c.reg(c.findExact(0x80000008, 0), EBX);
        assertEquals(0x001C_0004, ebx8 & 0x001C_0205, "CLZERO and WBNOINVD off; RstrFpErrPtrs and the IBRS/EferLmsle bits on");
        assertEquals(1, c.flags(c.findExact(7, 0)));
    }

    @Test
    void registerBitsRefuseAValueOutsideTheirFilter() {
        assertThrows(IllegalArgumentException.class, () -> new RegisterBits(0b01, 0b10));
        assertEquals(0xFFL, new RegisterBits(0xF0, 0xF0).apply(0x0FL));
        assertEquals(0xFFFF_FF0F, new RegisterBits(0xF0, 0).apply(0xFFFF_FFFF));
    }

    @Test
    void everyStaticTemplateIsKnownByItsName() {
        for (String name : List.of("T2", "T2S", "T2CL", "T2A", "C3")) {
            assertEquals(name, StaticCpuTemplates.byName(name).name());
        }
        assertEquals(null, StaticCpuTemplates.byName("V1N1"));
        assertEquals(0x10a, StaticCpuTemplates.t2s().msrs().get(0).address());
    }
}
