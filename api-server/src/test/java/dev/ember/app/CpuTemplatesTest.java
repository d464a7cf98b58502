package dev.ember.app;

import static dev.ember.kvm.KvmCpuidEntry2.EAX;
import static dev.ember.kvm.KvmCpuidEntry2.ECX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.ember.config.CpuConfig;
import dev.ember.config.CpuTemplate;
import dev.ember.config.MachineConfig;
import dev.ember.config.VmResources;
import dev.ember.vm.x86.CpuTemplateException;
import dev.ember.vm.x86.GuestCpuTemplate;
import dev.ember.vm.x86.RegisterBits;
import dev.ember.vm.x86.StaticCpuTemplates;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A configuration's template as the VM gets it, and the words of a refusal. */
class CpuTemplatesTest {
    @Test
    void aCustomTemplateIsDecodedBitForBit() throws Exception {
        CpuConfig config = new CpuConfig(List.of("7", "!7", "121", "!300", "121"),
                List.of(new CpuConfig.CpuidLeafModifier("0x80000001", "0x0", 3L, List.of(
                        new CpuConfig.CpuidRegisterModifier(CpuConfig.CpuidRegister.ecx, "0bxxxx_0"),
                        new CpuConfig.CpuidRegisterModifier(CpuConfig.CpuidRegister.eax, "0b1x1")))),
                List.of(new CpuConfig.MsrModifier("0b101110101", "0b1" + "x".repeat(62) + "0")), null, null);
        GuestCpuTemplate t = CpuTemplates.decode(config);
        assertEquals(List.of(121), t.capabilities(), "\"!7\" drops the 7 added before it; \"!300\" drops nothing; no duplicates");
        GuestCpuTemplate.CpuidLeafModifier leaf = t.cpuid().get(0);
        assertEquals(0x80000001, leaf.leaf());
        assertEquals(3, leaf.flags());
        assertEquals(new GuestCpuTemplate.CpuidRegisterModifier(ECX, new RegisterBits(1, 0)), leaf.registers().get(0));
        assertEquals(new GuestCpuTemplate.CpuidRegisterModifier(EAX, new RegisterBits(0b101, 0b101)), leaf.registers().get(1));
        assertEquals(new GuestCpuTemplate.MsrModifier(0x175, new RegisterBits(0x8000_0000_0000_0001L, 0x8000_0000_0000_0000L)), t.msrs().get(0));
        assertEquals(GuestCpuTemplate.HostRequirement.ANY, t.host());
    }

    @Test
    void theCustomTemplateOrTheStaticOneOrNone() throws Exception {
        VmResources resources = new VmResources();
        assertNull(CpuTemplates.forBoot(resources));
        resources.setMachineConfig(new MachineConfig(1L, 128L, null, null, CpuTemplate.T2A, null));
        assertEquals(StaticCpuTemplates.t2a(), CpuTemplates.forBoot(resources));
        resources.setCpuConfig(new CpuConfig(List.of("0"), null, null, null, null));
        assertEquals("cpu-config", CpuTemplates.forBoot(resources).name());
    }

    @Test
    void aRefusalIsFirecrackersTextThenTheSettingAndTheFix() {
        String vendor = CpuTemplates.refusal(StaticCpuTemplates.t2(), new CpuTemplateException(CpuTemplateException.Reason.VENDOR_MISMATCH,
                "CPU vendor mismatched between actual CPU and CPU template."), "AMD");
        assertEquals("Start microvm error: Failed to get CPU template: CPU vendor mismatched between actual CPU and CPU template."
                + " (machine-config.cpu_template is T2, a template for Intel hosts; this host's CPU is AMD: use T2A, a custom template"
                + " (PUT /cpu-config) or None)", vendor);
        String t2a = CpuTemplates.refusal(StaticCpuTemplates.t2a(), new CpuTemplateException(CpuTemplateException.Reason.VENDOR_MISMATCH,
                "CPU vendor mismatched between actual CPU and CPU template."), "Intel");
        assertEquals("Start microvm error: Failed to get CPU template: CPU vendor mismatched between actual CPU and CPU template."
                + " (machine-config.cpu_template is T2A, a template for AMD hosts; this host's CPU is Intel: use T2, T2S, T2CL or C3,"
                + " a custom template (PUT /cpu-config) or None)", t2a);
        GuestCpuTemplate custom = new GuestCpuTemplate("cpu-config", GuestCpuTemplate.HostRequirement.ANY, List.of(), List.of(), List.of());
        String caps = CpuTemplates.refusal(custom, new CpuTemplateException(CpuTemplateException.Reason.MISSING_KVM_CAPABILITY,
                "Missing KVM capabilities: 0x12c"), "AMD");
        assertSame(0, caps.indexOf("Start microvm error: Kvm error: Missing KVM capabilities: 0x12c (cpu-config.kvm_capabilities requires"));
    }
}
