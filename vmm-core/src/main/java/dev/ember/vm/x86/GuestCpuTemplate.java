package dev.ember.vm.x86;

import static dev.ember.kvm.KvmCpuidEntry2.EAX;
import static dev.ember.kvm.KvmCpuidEntry2.EBX;
import static dev.ember.kvm.KvmCpuidEntry2.ECX;
import static dev.ember.kvm.KvmCpuidEntry2.EDX;

import java.util.List;

/**
 * What a CPU template changes in the vCPUs, decoded: CPUID register bits per leaf/subleaf, MSR
 * bits, and KVM capabilities to require. Static templates ({@link StaticCpuTemplates}) and
 * custom ones (the API's {@code cpu-config}) both become one of these.
 *
 * @param name         for messages: "T2A", or "cpu-config" for a custom template
 * @param host         which hosts may use it
 * @param cpuid        applied to KVM's supported CPUID before Ember normalises it per vCPU
 * @param msrs         applied to the vCPUs' MSRs after the boot MSRs
 * @param capabilities KVM_CHECK_EXTENSION numbers that must be present ("121" in kvm_capabilities)
 */
public record GuestCpuTemplate(String name, HostRequirement host, List<CpuidLeafModifier> cpuid, List<MsrModifier> msrs,
                               List<Integer> capabilities) {
    public GuestCpuTemplate {
        cpuid = List.copyOf(cpuid);
        msrs = List.copyOf(msrs);
        capabilities = List.copyOf(capabilities);
    }

    public enum HostRequirement { ANY, INTEL, INTEL_CASCADE_LAKE_OR_LATER, AMD }

    /** {@code flags} replaces the entry's KVM flags, as Firecracker's templates do. */
    public record CpuidLeafModifier(int leaf, int subleaf, int flags, List<CpuidRegisterModifier> registers) {
        public CpuidLeafModifier {
            registers = List.copyOf(registers);
        }
    }

    /** @param register KvmCpuidEntry2.EAX, EBX, ECX or EDX */
    public record CpuidRegisterModifier(int register, RegisterBits bits) {
        public CpuidRegisterModifier {
            if (register != EAX && register != EBX && register != ECX && register != EDX) {
                throw new IllegalArgumentException("not a CPUID register offset: " + register);
            }
        }
    }

    public record MsrModifier(int address, RegisterBits bits) {}
}
