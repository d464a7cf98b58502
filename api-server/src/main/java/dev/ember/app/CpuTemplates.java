package dev.ember.app;

import static dev.ember.kvm.KvmCpuidEntry2.EAX;
import static dev.ember.kvm.KvmCpuidEntry2.EBX;
import static dev.ember.kvm.KvmCpuidEntry2.ECX;
import static dev.ember.kvm.KvmCpuidEntry2.EDX;

import dev.ember.config.ConfigException;
import dev.ember.config.CpuConfig;
import dev.ember.config.CpuTemplate;
import dev.ember.config.VmResources;
import dev.ember.vm.x86.CpuTemplateException;
import dev.ember.vm.x86.GuestCpuTemplate;
import dev.ember.vm.x86.RegisterBits;
import dev.ember.vm.x86.StaticCpuTemplates;
import java.util.ArrayList;
import java.util.List;

/**
 * The CPU template a boot applies: the custom one ({@code cpu-config}) or the static one
 * ({@code machine-config.cpu_template}), decoded for the VM; and the API's words when the
 * host refuses it.
 */
final class CpuTemplates {
    private CpuTemplates() {}

    /** Null when neither is set. The configuration was validated when it was set, so decoding cannot fail. */
    static GuestCpuTemplate forBoot(VmResources resources) {
        return forBoot(resources.cpuConfig(), resources.machineConfig().cpuTemplate());
    }

    /** {@link #forBoot(VmResources)} from its two inputs: a custom cpu-config (first) or machine-config.cpu_template. */
    static GuestCpuTemplate forBoot(CpuConfig custom, CpuTemplate name) {
        if (custom != null) {
            try {
                return decode(custom);
            } catch (ConfigException e) {
                throw new IllegalStateException("cpu-config was validated when it was set: " + e.getMessage(), e);
            }
        }
        return name == null ? null : StaticCpuTemplates.byName(name.name());
    }

    static GuestCpuTemplate decode(CpuConfig config) throws ConfigException {
        List<GuestCpuTemplate.CpuidLeafModifier> leaves = new ArrayList<>();
        List<CpuConfig.CpuidLeafModifier> cpuid = config.cpuidModifiers() == null ? List.of() : config.cpuidModifiers();
        for (int i = 0; i < cpuid.size(); i++) {
            CpuConfig.CpuidLeafModifier m = cpuid.get(i);
            String where = "cpu-config.cpuid_modifiers[" + i + "]";
            List<GuestCpuTemplate.CpuidRegisterModifier> registers = new ArrayList<>();
            for (int j = 0; j < m.modifiers().size(); j++) {
                CpuConfig.CpuidRegisterModifier r = m.modifiers().get(j);
                registers.add(new GuestCpuTemplate.CpuidRegisterModifier(register(r.register()),
                        bits(CpuConfig.bitmap(r.bitmap(), 32, where + ".modifiers[" + j + "].bitmap"))));
            }
            leaves.add(new GuestCpuTemplate.CpuidLeafModifier((int) CpuConfig.parseNumber(m.leaf(), 32, where + ".leaf"),
                    (int) CpuConfig.parseNumber(m.subleaf(), 32, where + ".subleaf"), m.flags().intValue(), registers));
        }
        List<GuestCpuTemplate.MsrModifier> msrs = new ArrayList<>();
        List<CpuConfig.MsrModifier> msrConfig = config.msrModifiers() == null ? List.of() : config.msrModifiers();
        for (int i = 0; i < msrConfig.size(); i++) {
            CpuConfig.MsrModifier m = msrConfig.get(i);
            String where = "cpu-config.msr_modifiers[" + i + "]";
            msrs.add(new GuestCpuTemplate.MsrModifier((int) CpuConfig.parseNumber(m.addr(), 32, where + ".addr"),
                    bits(CpuConfig.bitmap(m.bitmap(), 64, where + ".bitmap"))));
        }
        List<Integer> required = new ArrayList<>();
        List<String> caps = config.kvmCapabilities() == null ? List.of() : config.kvmCapabilities();
        for (int i = 0; i < caps.size(); i++) {
            CpuConfig.Capability c = CpuConfig.capability(caps.get(i), "cpu-config.kvm_capabilities[" + i + "]");
            Integer n = (int) c.number();
            if (c.removed()) {
                required.remove(n); // Ember still refuses to run without the capabilities it uses itself
            } else if (!required.contains(n)) {
                required.add(n);
            }
        }
        return new GuestCpuTemplate("cpu-config", GuestCpuTemplate.HostRequirement.ANY, leaves, msrs, required);
    }

    private static RegisterBits bits(CpuConfig.Bits b) {
        return new RegisterBits(b.filter(), b.value());
    }

    private static int register(CpuConfig.CpuidRegister r) {
        return switch (r) {
            case eax -> EAX;
            case ebx -> EBX;
            case ecx -> ECX;
            case edx -> EDX;
        };
    }

    /** Firecracker's fault text for a template the host refused, then which setting it was and what to do. */
    static String refusal(GuestCpuTemplate template, CpuTemplateException e, String hostVendor) {
        boolean custom = "cpu-config".equals(template.name());
        String fix = switch (e.reason()) {
            case VENDOR_MISMATCH -> "machine-config.cpu_template is " + template.name() + ", a template for "
                    + (template.host() == GuestCpuTemplate.HostRequirement.AMD ? "AMD" : "Intel") + " hosts; this host's CPU is "
                    + hostVendor + ": use " + (template.host() == GuestCpuTemplate.HostRequirement.AMD ? "T2, T2S, T2CL or C3" : "T2A")
                    + ", a custom template (PUT /cpu-config) or None";
            case CPU_MODEL -> "machine-config.cpu_template is " + template.name()
                    + ", which needs an Intel Cascade Lake or later CPU: use T2 or T2S on this host";
            case CPUID_ENTRY_NOT_SUPPORTED -> (custom ? "cpu-config.cpuid_modifiers" : "machine-config.cpu_template " + template.name())
                    + " changes a CPUID leaf/subleaf this host's KVM does not report (KVM_GET_SUPPORTED_CPUID): remove that modifier";
            case MSR_NOT_SUPPORTED -> (custom ? "cpu-config.msr_modifiers" : "machine-config.cpu_template " + template.name())
                    + " changes an MSR this host's KVM cannot read or write on a vCPU: remove that modifier";
            case MISSING_KVM_CAPABILITY -> "cpu-config.kvm_capabilities requires a capability this host's KVM lacks"
                    + " (KVM_CHECK_EXTENSION): remove it, or run on a host kernel that has it";
        };
        String prefix = e.reason() == CpuTemplateException.Reason.VENDOR_MISMATCH || e.reason() == CpuTemplateException.Reason.CPU_MODEL
                ? "Start microvm error: Failed to get CPU template: "
                : e.reason() == CpuTemplateException.Reason.MISSING_KVM_CAPABILITY ? "Start microvm error: Kvm error: " : "Start microvm error: ";
        return prefix + e.getMessage() + " (" + fix + ")";
    }
}
