package dev.ember.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.arch.x86.BootEntry;
import dev.ember.kvm.KvmCpuid2;
import dev.ember.kvm.KvmCpuidEntry2;
import dev.ember.kvm.KvmFpu;
import dev.ember.kvm.KvmLapicState;
import dev.ember.kvm.KvmMsrs;
import dev.ember.kvm.KvmRegs;
import dev.ember.kvm.KvmSregs;
import dev.ember.kvm.KvmXsave;
import dev.ember.kvm.VcpuFd;
import dev.ember.testing.TestTags;
import dev.ember.vm.x86.BootMsrs;
import dev.ember.vm.x86.X86VcpuSetup;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** What configureBoot leaves in the vCPUs, read back from KVM. */
@Tag(TestTags.NEEDS_KVM)
class VcpuBootStateTest {
    @BeforeEach
    void needKvm() {
        KvmTestSupport.requireKvm();
    }

    @Test
    void bootVcpuAndApplicationProcessorsHoldTheBootState() {
        try (Vm vm = Vm.create(new VmSpec(2, 4L << 20, true))) {
            BootEntry entry = LongModeTestGuest.write(vm.memory(), LongModeTestGuest.hex("eb fe"));
            vm.configureBoot(entry);

            VcpuFd bsp = vm.vcpuFd(0);
            KvmSregs sregs = new KvmSregs();
            bsp.getSregs(sregs);
            assertEquals(0x80000011L, sregs.get(KvmSregs.CR0));
            assertEquals(LongModeTestGuest.PML4, sregs.get(KvmSregs.CR3));
            assertEquals(0x20L, sregs.get(KvmSregs.CR4));
            assertEquals(0x500L, sregs.get(KvmSregs.EFER) & 0x500L);
            assertEquals(0x08, sregs.segment(KvmSregs.CS).selector());
            assertTrue(sregs.segment(KvmSregs.CS).l());
            assertEquals(0x10, sregs.segment(KvmSregs.SS).selector());
            assertEquals(0x18, sregs.segment(KvmSregs.TR).selector());
            assertEquals(LongModeTestGuest.GDT, sregs.dtableBase(KvmSregs.GDT));
            assertEquals(0x1f, sregs.dtableLimit(KvmSregs.GDT));

            KvmRegs regs = new KvmRegs();
            bsp.getRegs(regs);
            assertEquals(entry.entryPoint(), regs.get(KvmRegs.RIP));
            assertEquals(entry.zeroPage(), regs.get(KvmRegs.RSI));
            assertEquals(entry.stackPointer(), regs.get(KvmRegs.RSP));
            assertEquals(2L, regs.get(KvmRegs.RFLAGS));

            for (int id = 0; id < 2; id++) {
                VcpuFd v = vm.vcpuFd(id);
                KvmFpu fpu = new KvmFpu();
                v.getFpu(fpu);
                assertEquals(X86VcpuSetup.FCW_DEFAULT, fpu.fcw());
                KvmXsave xsave = new KvmXsave(); // KVM_GET_FPU does not report MXCSR; XSAVE does
                v.getXsave(xsave);
                assertEquals(X86VcpuSetup.MXCSR_DEFAULT, xsave.mxcsr());
                assertEquals(X86VcpuSetup.FCW_DEFAULT, xsave.fcw());

                KvmLapicState lapic = new KvmLapicState();
                v.getLapic(lapic);
                assertEquals(KvmLapicState.DELIVERY_MODE_EXTINT, lapic.register(KvmLapicState.APIC_LVT_LINT0) & KvmLapicState.LVT_DELIVERY_MODE_MASK);
                assertEquals(KvmLapicState.DELIVERY_MODE_NMI, lapic.register(KvmLapicState.APIC_LVT_LINT1) & KvmLapicState.LVT_DELIVERY_MODE_MASK);

                KvmMsrs msrs = new KvmMsrs(2);
                msrs.add(BootMsrs.IA32_MTRR_DEF_TYPE, 0);
                msrs.add(BootMsrs.IA32_MISC_ENABLE, 0);
                assertEquals(2, v.getMsrs(msrs));
                assertEquals(BootMsrs.MTRR_ENABLE_WRITEBACK, msrs.data(0));
                assertEquals(BootMsrs.MISC_ENABLE_FAST_STRING, msrs.data(1) & BootMsrs.MISC_ENABLE_FAST_STRING);

                KvmCpuid2 cpuid = new KvmCpuid2(KvmCpuid2.MAX_ENTRIES);
                v.getCpuid2(cpuid);
                int leaf1 = cpuid.find(1, 0);
                assertEquals(id, cpuid.reg(leaf1, KvmCpuidEntry2.EBX) >>> 24, "vcpu" + id + " APIC ID as KVM holds it");
            }
        }
    }

    @Test
    void gdtWithoutALongModeCodeSegmentIsAConfigurationError() {
        try (Vm vm = Vm.create(new VmSpec(1, 4L << 20, false))) {
            BootEntry entry = LongModeTestGuest.write(vm.memory(), LongModeTestGuest.hex("eb fe"));
            vm.memory().putLong(LongModeTestGuest.GDT + 8, 0x00cf9b000000ffffL); // 32-bit code
            VmConfigurationException e = assertThrows(VmConfigurationException.class, () -> vm.configureBoot(entry));
            assertTrue(e.getMessage().contains("64-bit code segment"), e.getMessage());
        }
    }

    @Test
    void specValidationNamesTheFieldAndTheFix() {
        assertTrue(assertThrows(VmConfigurationException.class, () -> new VmSpec(0, 4L << 20, false)).getMessage().contains("vcpu_count"));
        assertTrue(assertThrows(VmConfigurationException.class, () -> new VmSpec(33, 4L << 20, false)).getMessage().contains("1 to 32"));
        assertTrue(assertThrows(VmConfigurationException.class, () -> new VmSpec(3, 4L << 20, true)).getMessage().contains("smt"));
        assertTrue(assertThrows(VmConfigurationException.class, () -> new VmSpec(1, (4L << 20) + 1, false)).getMessage().contains("mem_size"));
        assertEquals(2, new VmSpec(4, 4L << 20, true).threadsPerCore());
        assertEquals(1, new VmSpec(1, 4L << 20, true).threadsPerCore());
    }
}
