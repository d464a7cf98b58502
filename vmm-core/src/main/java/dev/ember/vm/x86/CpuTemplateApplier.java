package dev.ember.vm.x86;

import static dev.ember.kvm.KvmCpuidEntry2.EAX;
import static dev.ember.kvm.KvmCpuidEntry2.EBX;

import dev.ember.kvm.KvmCpuid2;
import dev.ember.kvm.KvmMsrs;
import dev.ember.kvm.VcpuFd;
import dev.ember.vm.x86.GuestCpuTemplate.CpuidLeafModifier;
import dev.ember.vm.x86.GuestCpuTemplate.CpuidRegisterModifier;
import dev.ember.vm.x86.GuestCpuTemplate.MsrModifier;
import java.util.function.IntUnaryOperator;

/**
 * Applies a {@link GuestCpuTemplate} with Firecracker's semantics: the host must be of the
 * template's vendor (and model), every CPUID modifier must hit an entry KVM reports (same leaf and
 * subleaf) and every MSR modifier an MSR the vCPU can read; the template goes onto KVM's supported
 * CPUID before Ember's per-vCPU normalisation, so the bits that normalisation owns (APIC IDs,
 * topology, the hypervisor bit...) stay Ember's, as in Firecracker.
 */
public final class CpuTemplateApplier {
    private static final int INTEL_EBX = 0x756e6547; // "Genu"
    private static final int AMD_EBX = 0x68747541;   // "Auth"
    /** Cascade Lake: extended family 0, extended model 5, family 6, model 5, stepping 7. */
    private static final int CASCADE_LAKE = fms(0, 5, 6, 5, 7);

    private CpuTemplateApplier() {}

    /** Refuses a template meant for another CPU than the host's ({@code supported} is KVM's, which carries the host's vendor). */
    public static void checkHost(GuestCpuTemplate template, KvmCpuid2 supported) {
        int vendor = register(supported, 0, EBX);
        switch (template.host()) {
            case ANY -> { }
            case AMD -> requireVendor(vendor == AMD_EBX);
            case INTEL -> requireVendor(vendor == INTEL_EBX);
            case INTEL_CASCADE_LAKE_OR_LATER -> {
                requireVendor(vendor == INTEL_EBX);
                if (!atLeastCascadeLake(register(supported, 1, EAX))) {
                    throw new CpuTemplateException(CpuTemplateException.Reason.CPU_MODEL,
                            "The current CPU model is not permitted to apply the CPU template.");
                }
            }
        }
    }

    /** Requires every capability the template lists (KVM_CHECK_EXTENSION above 0), as Firecracker does at start. */
    public static void checkCapabilities(GuestCpuTemplate template, IntUnaryOperator checkExtension) {
        for (int cap : template.capabilities()) {
            if (checkExtension.applyAsInt(cap) <= 0) {
                throw new CpuTemplateException(CpuTemplateException.Reason.MISSING_KVM_CAPABILITY,
                        String.format("Missing KVM capabilities: %#x", cap));
            }
        }
    }

    /** Applies the CPUID modifiers to {@code cpuid} in place. */
    public static void applyCpuid(GuestCpuTemplate template, KvmCpuid2 cpuid) {
        for (CpuidLeafModifier leaf : template.cpuid()) {
            int i = cpuid.findExact(leaf.leaf(), leaf.subleaf());
            if (i < 0) {
                throw new CpuTemplateException(CpuTemplateException.Reason.CPUID_ENTRY_NOT_SUPPORTED, String.format(
                        "Template changes a CPUID entry not supported by KVM: Leaf: %x, Subleaf: %x", leaf.leaf(), leaf.subleaf()));
            }
            cpuid.flags(i, leaf.flags());
            for (CpuidRegisterModifier r : leaf.registers()) {
                cpuid.reg(i, r.register(), r.bits().apply(cpuid.reg(i, r.register())));
            }
        }
    }

    /** Reads each MSR the template names from {@code vcpu}, applies its bits and writes them back. */
    public static void applyMsrs(GuestCpuTemplate template, VcpuFd vcpu) {
        if (template.msrs().isEmpty()) {
            return;
        }
        KvmMsrs msrs = new KvmMsrs(template.msrs().size());
        for (MsrModifier m : template.msrs()) {
            msrs.add(m.address(), 0);
        }
        int read = vcpu.getMsrs(msrs);
        if (read != msrs.count()) {
            throw msrNotSupported(msrs.index(read));
        }
        for (int i = 0; i < msrs.count(); i++) {
            msrs.set(i, msrs.index(i), template.msrs().get(i).bits().apply(msrs.data(i)));
        }
        int written = vcpu.setMsrs(msrs);
        if (written != msrs.count()) {
            throw msrNotSupported(msrs.index(written));
        }
    }

    private static CpuTemplateException msrNotSupported(int address) {
        return new CpuTemplateException(CpuTemplateException.Reason.MSR_NOT_SUPPORTED,
                String.format("Template changes an MSR entry not supported by KVM: Register Address: %x", address));
    }

    private static void requireVendor(boolean matches) {
        if (!matches) {
            throw new CpuTemplateException(CpuTemplateException.Reason.VENDOR_MISMATCH,
                    "CPU vendor mismatched between actual CPU and CPU template.");
        }
    }

    /** Firecracker compares (extended family, extended model, family, model, stepping) in that order. */
    static boolean atLeastCascadeLake(int leaf1Eax) {
        int v = fms((leaf1Eax >>> 20) & 0xFF, (leaf1Eax >>> 16) & 0xF, (leaf1Eax >>> 8) & 0xF, (leaf1Eax >>> 4) & 0xF, leaf1Eax & 0xF);
        return v >= CASCADE_LAKE;
    }

    private static int fms(int extFamily, int extModel, int family, int model, int stepping) {
        return extFamily << 16 | extModel << 12 | family << 8 | model << 4 | stepping;
    }

    private static int register(KvmCpuid2 cpuid, int leaf, int reg) {
        int i = cpuid.findExact(leaf, 0);
        return i < 0 ? 0 : cpuid.reg(i, reg);
    }

    /** "AMD" or "Intel" or the raw vendor, for messages. */
    public static String vendorName(KvmCpuid2 supported) {
        int ebx = register(supported, 0, EBX);
        return ebx == AMD_EBX ? "AMD" : ebx == INTEL_EBX ? "Intel" : String.format("vendor 0x%08x", ebx);
    }
}
