package dev.ember.vm.x86;

import static dev.ember.kvm.KvmCpuidEntry2.EAX;
import static dev.ember.kvm.KvmCpuidEntry2.EBX;
import static dev.ember.kvm.KvmCpuidEntry2.ECX;
import static dev.ember.kvm.KvmCpuidEntry2.EDX;

import dev.ember.vm.x86.GuestCpuTemplate.CpuidLeafModifier;
import dev.ember.vm.x86.GuestCpuTemplate.CpuidRegisterModifier;
import dev.ember.vm.x86.GuestCpuTemplate.HostRequirement;
import dev.ember.vm.x86.GuestCpuTemplate.MsrModifier;
import java.util.List;

/**
 * Firecracker's static CPU templates ({@code machine-config.cpu_template}), bit for bit: C3, T2,
 * T2S and T2CL for Intel hosts (T2CL on Cascade Lake or later), T2A for AMD. They make the guest
 * see the CPU family/model and feature set of an EC2 instance type (T2/C3) or the features common
 * to Intel Cascade Lake and AMD Milan (T2CL/T2A), so guests can move between such hosts.
 * Which feature each bit is: Intel SDM vol. 2A (CPUID), AMD APM vol. 3 appendix E.
 */
public final class StaticCpuTemplates {
    private static final int FLAG_NONE = 0, FLAG_SIGNIFICANT_INDEX = 1;
    private static final int IA32_ARCH_CAPABILITIES = 0x10a;

    private StaticCpuTemplates() {}

    /** The template called {@code name} (T2, T2S, T2CL, T2A, C3), or null. */
    public static GuestCpuTemplate byName(String name) {
        return switch (name) {
            case "T2" -> t2();
            case "T2S" -> t2s();
            case "T2CL" -> t2cl();
            case "T2A" -> t2a();
            case "C3" -> c3();
            default -> null;
        };
    }

    /** Leaf 1: the given family/model/stepping; DTES64, MONITOR, VMX, EIST... off; MCE and MTRR on; PSN, DS, ACPI, SS, TM, PBE off. */
    private static CpuidLeafModifier leaf1(int eaxVersion, int ecxOff, int edxFilter) {
        return leaf(0x1, 0, FLAG_NONE,
                reg(EAX, 0x0FFF_3FFF, eaxVersion),
                reg(ECX, ecxOff, 0),
                reg(EDX, edxFilter, 0x0000_1080));
    }

    /** Leaf 7: ERMS forced on; SGX, HLE, RTM, RDT, MPX, AVX-512, RDSEED, ADX, CLFLUSHOPT, CLWB, PT, SHA... off. */
    private static final CpuidLeafModifier T2_LEAF7 = leaf(0x7, 0, FLAG_SIGNIFICANT_INDEX,
            reg(EBX, 0xFFEF_DA14, 0x0000_0200),
            reg(ECX, 0x4041_5F5E, 0),
            reg(EDX, 0x0000_011C, 0));
    /** XSAVE components: no MPX, AVX-512 or PKRU state; no XSAVEC, XGETBV ECX=1, XSAVES. */
    private static final CpuidLeafModifier XSAVE_FEATURES = leaf(0xd, 0, FLAG_SIGNIFICANT_INDEX, reg(EAX, 0x0000_02F8, 0));
    private static final CpuidLeafModifier XSAVE_EXTENSIONS = leaf(0xd, 1, FLAG_SIGNIFICANT_INDEX, reg(EAX, 0x0000_000E, 0));
    /** Family 6, model 0x3f, stepping 2 (Haswell, as a t2.micro). */
    private static final CpuidLeafModifier T2_LEAF1 = leaf1(0x0003_06F2, 0x0004_CDFC, 0xE864_1080);

    public static GuestCpuTemplate t2() {
        return new GuestCpuTemplate("T2", HostRequirement.INTEL, List.of(T2_LEAF1, T2_LEAF7, XSAVE_FEATURES, XSAVE_EXTENSIONS,
                leaf(0x80000001, 0, FLAG_NONE, reg(ECX, 0x2000_0100, 0), reg(EDX, 0x0400_0000, 0)),
                leaf(0x80000008, 0, FLAG_NONE, reg(EBX, 0x0000_0200, 0))), List.of(), List.of());
    }

    /** T2 plus IA32_ARCH_CAPABILITIES pinned, so snapshots move between Skylake and Cascade Lake hosts safely. */
    public static GuestCpuTemplate t2s() {
        GuestCpuTemplate t2 = t2();
        return new GuestCpuTemplate("T2S", HostRequirement.INTEL, t2.cpuid(),
                List.of(new MsrModifier(IA32_ARCH_CAPABILITIES, new RegisterBits(-1L, 0x0408_0C4CL))), List.of());
    }

    /** Cascade Lake's features in common with Milan; ARCH_CAPABILITIES keeps the mitigation bits KVM passes through. */
    public static GuestCpuTemplate t2cl() {
        return new GuestCpuTemplate("T2CL", HostRequirement.INTEL_CASCADE_LAKE_OR_LATER, List.of(T2_LEAF1, T2_LEAF7,
                XSAVE_FEATURES, XSAVE_EXTENSIONS,
                leaf(0x80000001, 0, FLAG_NONE, reg(ECX, 0x2000_01C0, 0), reg(EDX, 0x07C0_0000, 0)),
                leaf(0x80000008, 0, FLAG_NONE, reg(EBX, 0x0000_0200, 0))),
                List.of(new MsrModifier(IA32_ARCH_CAPABILITIES, new RegisterBits(0xFFFF_FFFF_E2F5_1E00L, 0))), List.of());
    }

    /** Milan's features in common with Cascade Lake (T2CL's counterpart); SVM hidden, IBRS/EferLmsle bits set. */
    public static GuestCpuTemplate t2a() {
        return new GuestCpuTemplate("T2A", HostRequirement.AMD, List.of(T2_LEAF1, T2_LEAF7, XSAVE_FEATURES, XSAVE_EXTENSIONS,
                leaf(0x80000001, 0, FLAG_NONE, reg(ECX, 0x2000_01C4, 0), reg(EDX, 0x0640_0000, 0)),
                leaf(0x80000008, 0, FLAG_NONE, reg(EBX, 0x001C_0205, 0x001C_0004))), List.of(), List.of());
    }

    /** Family 6 model 0x3e stepping 4 (Ivy Bridge, as a c3.large): also no FMA, MOVBE, BMI, AVX2, INVPCID, LZCNT. */
    public static GuestCpuTemplate c3() {
        return new GuestCpuTemplate("C3", HostRequirement.INTEL, List.of(
                leaf1(0x0003_06E4, 0x0040_DD3C, 0xA864_1080),
                leaf(0x7, 0, FLAG_SIGNIFICANT_INDEX, reg(EBX, 0xFFAF_DD3C, 0), reg(ECX, 0x4041_481E, 0), reg(EDX, 0x0000_000C, 0)),
                XSAVE_FEATURES, XSAVE_EXTENSIONS,
                leaf(0x80000001, 0, FLAG_NONE, reg(ECX, 0x0000_0120, 0), reg(EDX, 0x0400_0000, 0))), List.of(), List.of());
    }

    private static CpuidLeafModifier leaf(int leaf, int subleaf, int flags, CpuidRegisterModifier... registers) {
        return new CpuidLeafModifier(leaf, subleaf, flags, List.of(registers));
    }

    private static CpuidRegisterModifier reg(int register, int filter, int value) {
        return new CpuidRegisterModifier(register, new RegisterBits(filter & 0xFFFF_FFFFL, value & 0xFFFF_FFFFL));
    }
}
