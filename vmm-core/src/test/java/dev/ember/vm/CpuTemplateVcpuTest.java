package dev.ember.vm;

import static dev.ember.kvm.KvmCpuidEntry2.EAX;
import static dev.ember.kvm.KvmCpuidEntry2.EBX;
import static dev.ember.kvm.KvmCpuidEntry2.ECX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.arch.x86.BootEntry;
import dev.ember.kvm.KvmCpuid2;
import dev.ember.kvm.KvmMsrs;
import dev.ember.kvm.VcpuFd;
import dev.ember.snapshot.StateSections;
import dev.ember.testing.TestTags;
import dev.ember.vm.x86.BootMsrs;
import dev.ember.vm.x86.CpuTemplateException;
import dev.ember.vm.x86.GuestCpuTemplate;
import dev.ember.vm.x86.GuestCpuTemplate.CpuidLeafModifier;
import dev.ember.vm.x86.GuestCpuTemplate.CpuidRegisterModifier;
import dev.ember.vm.x86.GuestCpuTemplate.HostRequirement;
import dev.ember.vm.x86.GuestCpuTemplate.MsrModifier;
import dev.ember.vm.x86.RegisterBits;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A CPU template given to configureBoot, read back from KVM (KVM_GET_CPUID2, KVM_GET_MSRS) on every vCPU. */
@Tag(TestTags.NEEDS_KVM)
class CpuTemplateVcpuTest {
    /**
     * Extended leaf ECX bit 0 (LAHF/SAHF in 64-bit mode) and leaf 1's stepping. Not leaf 1 ECX,
     * leaf 7 or leaf 0xd: on PVM, KVM_GET_CPUID2 (and the guest) read the host's own bits there,
     * whatever KVM_SET_CPUID2 was given (measured; docs/cpu-templates.md).
     */
    private static final long LAHF_LM = 1, STEPPING = 0xF, APIC_ID = 0xFF00_0000L;

    @BeforeEach
    void needKvm() {
        KvmTestSupport.requireKvm();
    }

    private static int cpuidReg(VcpuFd v, int leaf, int sub, int reg) {
        KvmCpuid2 cpuid = new KvmCpuid2(KvmCpuid2.MAX_ENTRIES);
        v.getCpuid2(cpuid);
        int i = cpuid.findExact(leaf, sub);
        assertTrue(i >= 0, String.format("leaf 0x%x.%d", leaf, sub));
        return cpuid.reg(i, reg);
    }

    private static long msr(VcpuFd v, int index) {
        KvmMsrs m = new KvmMsrs(1);
        m.add(index, 0);
        assertEquals(1, v.getMsrs(m));
        return m.data(0);
    }

    @Test
    void cpuidAndMsrBitsReachEveryVcpuUnderTheNormalisation() {
        GuestCpuTemplate template = new GuestCpuTemplate("cpu-config", HostRequirement.ANY, List.of(
                new CpuidLeafModifier(1, 0, 0, List.of(new CpuidRegisterModifier(EAX, new RegisterBits(STEPPING, 0xA)),
                        new CpuidRegisterModifier(EBX, new RegisterBits(APIC_ID, 0xAA00_0000L)))),
                new CpuidLeafModifier(0x80000001, 0, 0, List.of(new CpuidRegisterModifier(ECX, new RegisterBits(LAHF_LM, 0))))),
                List.of(new MsrModifier(BootMsrs.IA32_SYSENTER_ESP, new RegisterBits(0xFFFF, 0xBEEF))), List.of(0));
        try (Vm vm = Vm.create(new VmSpec(2, 4L << 20, false))) {
            BootEntry entry = LongModeTestGuest.write(vm.memory(), LongModeTestGuest.hex("eb fe"));
            vm.configureBoot(entry, template);
            for (int id = 0; id < 2; id++) {
                VcpuFd v = vm.vcpuFd(id);
                assertEquals(0xA, cpuidReg(v, 1, 0, EAX) & STEPPING, "vcpu" + id + " stepping forced by the template");
                assertEquals(0, cpuidReg(v, 0x80000001, 0, ECX) & LAHF_LM, "vcpu" + id + " LAHF_LM masked by the template");
                assertEquals(id, cpuidReg(v, 1, 0, EBX) >>> 24, "vcpu" + id + " APIC ID: normalisation comes after the template");
                assertEquals(0xBEEFL, msr(v, BootMsrs.IA32_SYSENTER_ESP), "vcpu" + id + " SYSENTER_ESP (boot value 0)");
            }
        }
    }

    @Test
    void aSnapshotKeepsTheCpuidTheGuestWasGiven() {
        GuestCpuTemplate template = new GuestCpuTemplate("cpu-config", HostRequirement.ANY, List.of(
                new CpuidLeafModifier(1, 0, 0, List.of(new CpuidRegisterModifier(EAX, new RegisterBits(STEPPING, 0xA)))),
                new CpuidLeafModifier(0x80000001, 0, 0, List.of(new CpuidRegisterModifier(ECX, new RegisterBits(LAHF_LM, 0))))),
                List.of(), List.of());
        StateSections saved = new StateSections();
        try (Vm vm = Vm.create(new VmSpec(1, 4L << 20, false))) {
            vm.configureBoot(LongModeTestGuest.write(vm.memory(), LongModeTestGuest.hex("eb fe")), template);
            vm.saveState(saved);
        }
        // The restored VM gets no template: its CPUID is the snapshot's, as the guest saw it.
        try (Vm vm = Vm.create(new VmSpec(1, 4L << 20, false))) {
            vm.restoreState(saved);
            assertEquals(0xA, cpuidReg(vm.vcpuFd(0), 1, 0, EAX) & STEPPING);
            assertEquals(0, cpuidReg(vm.vcpuFd(0), 0x80000001, 0, ECX) & LAHF_LM);
        }
    }

    @Test
    void anMsrKvmCannotReadIsRefused() {
        GuestCpuTemplate template = new GuestCpuTemplate("cpu-config", HostRequirement.ANY, List.of(),
                List.of(new MsrModifier(0x4b564dff, new RegisterBits(1, 1))), List.of());
        try (Vm vm = Vm.create(new VmSpec(1, 4L << 20, false))) {
            BootEntry entry = LongModeTestGuest.write(vm.memory(), LongModeTestGuest.hex("eb fe"));
            CpuTemplateException e = assertThrows(CpuTemplateException.class, () -> vm.configureBoot(entry, template));
            assertEquals(CpuTemplateException.Reason.MSR_NOT_SUPPORTED, e.reason());
            assertEquals("Template changes an MSR entry not supported by KVM: Register Address: 4b564dff", e.getMessage());
        }
    }

    @Test
    void theStaticTemplateOfTheHostsVendorApplies() {
        try (Vm vm = Vm.create(new VmSpec(1, 4L << 20, false))) {
            KvmCpuid2 supported = new KvmCpuid2(KvmCpuid2.MAX_ENTRIES);
            BootEntry entry = LongModeTestGuest.write(vm.memory(), LongModeTestGuest.hex("eb fe"));
            boolean amd = "AMD".equals(dev.ember.vm.x86.CpuTemplateApplier.vendorName(vmSupported(supported)));
            vm.configureBoot(entry, amd ? dev.ember.vm.x86.StaticCpuTemplates.t2a() : dev.ember.vm.x86.StaticCpuTemplates.t2());
            assertEquals(0x000306F2, cpuidReg(vm.vcpuFd(0), 1, 0, EAX) & 0x0FFF3FFF,
                    "family 6 model 0x3f stepping 2, the signature T2 and T2A report");
            assertEquals(0, cpuidReg(vm.vcpuFd(0), 0x80000001, 0, ECX) & (1 << 8), "PREFETCHW hidden");
        }
    }

    private static KvmCpuid2 vmSupported(KvmCpuid2 into) {
        try (dev.ember.kvm.Kvm kvm = dev.ember.kvm.Kvm.open()) {
            into.copyFrom(kvm.supportedCpuid());
            return into;
        }
    }
}
