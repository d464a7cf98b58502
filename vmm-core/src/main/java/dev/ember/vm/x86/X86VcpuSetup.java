package dev.ember.vm.x86;

import dev.ember.arch.x86.BootEntry;
import dev.ember.kvm.KvmCpuid2;
import dev.ember.kvm.KvmFpu;
import dev.ember.kvm.KvmLapicState;
import dev.ember.kvm.KvmMpState;
import dev.ember.kvm.KvmMsrs;
import dev.ember.kvm.KvmRegs;
import dev.ember.kvm.KvmSegment;
import dev.ember.kvm.KvmSregs;
import dev.ember.kvm.KvmXsave;
import dev.ember.kvm.VcpuFd;
import dev.ember.memory.GuestMemory;
import dev.ember.vm.VmConfigurationException;

/**
 * Puts x86 vCPUs into their boot state: CPUID, MSRs, FPU and LAPIC for every vCPU; 64-bit
 * long-mode registers at the kernel entry for the boot vCPU; wait-for-SIPI for the others.
 */
public final class X86VcpuSetup {
    public static final long CR0_PE = 1, CR0_ET = 1 << 4, CR0_PG = 1L << 31;
    public static final long CR4_PAE = 1 << 5;
    public static final long EFER_LME = 1 << 8, EFER_LMA = 1 << 10;
    /** Reset value of RFLAGS: only the always-one bit 1. */
    public static final long RFLAGS_RESERVED = 2;
    /** x87 control word after FNINIT; MXCSR after reset (all exceptions masked). */
    public static final int FCW_DEFAULT = 0x37f, MXCSR_DEFAULT = 0x1f80;

    private X86VcpuSetup() {}

    /** KVM_SET_CPUID2 with a copy of {@code supported} normalised for this vCPU. */
    public static void setCpuid(VcpuFd vcpu, KvmCpuid2 supported, int vcpuCount, int threadsPerCore, boolean tscDeadline) {
        setCpuid(vcpu, supported, null, vcpuCount, threadsPerCore, tscDeadline);
    }

    /**
     * KVM_SET_CPUID2 with a copy of {@code supported}, {@code template} applied (when not null),
     * then normalised for this vCPU: as in Firecracker, normalisation comes last, so a template
     * cannot break the topology or APIC IDs.
     */
    public static void setCpuid(VcpuFd vcpu, KvmCpuid2 supported, GuestCpuTemplate template, int vcpuCount, int threadsPerCore,
                                boolean tscDeadline) {
        KvmCpuid2 cpuid = new KvmCpuid2(KvmCpuid2.MAX_ENTRIES);
        cpuid.copyFrom(supported);
        if (template != null) {
            CpuTemplateApplier.applyCpuid(template, cpuid);
        }
        CpuidNormalizer.normalize(cpuid, vcpu.id(), vcpuCount, threadsPerCore, tscDeadline);
        vcpu.setCpuid2(cpuid);
    }

    public static void setBootMsrs(VcpuFd vcpu) {
        KvmMsrs msrs = BootMsrs.create();
        int accepted = vcpu.setMsrs(msrs);
        if (accepted != msrs.count()) {
            throw new VmConfigurationException(String.format("KVM rejected boot MSR 0x%x on vcpu%d (accepted %d of %d)",
                    msrs.index(accepted), vcpu.id(), accepted, msrs.count()));
        }
    }

    /**
     * x87 control word and MXCSR at their reset values. KVM_SET_FPU ignores its mxcsr field, so
     * MXCSR is written through the XSAVE legacy area when KVM has XSAVE support.
     */
    public static void setFpu(VcpuFd vcpu, boolean xsave) {
        KvmFpu fpu = new KvmFpu();
        fpu.fcw(FCW_DEFAULT);
        fpu.mxcsr(MXCSR_DEFAULT);
        vcpu.setFpu(fpu);
        if (xsave) {
            KvmXsave state = new KvmXsave();
            vcpu.getXsave(state);
            state.mxcsr(MXCSR_DEFAULT);
            vcpu.setXsave(state);
        }
    }

    /** LINT0 delivers the legacy PIC's interrupts (ExtINT), LINT1 is the NMI pin, as on a PC. */
    public static void setLapicLints(VcpuFd vcpu) {
        KvmLapicState lapic = new KvmLapicState();
        vcpu.getLapic(lapic);
        int lint0 = lapic.register(KvmLapicState.APIC_LVT_LINT0);
        lapic.register(KvmLapicState.APIC_LVT_LINT0,
                (lint0 & ~KvmLapicState.LVT_DELIVERY_MODE_MASK) | KvmLapicState.DELIVERY_MODE_EXTINT);
        int lint1 = lapic.register(KvmLapicState.APIC_LVT_LINT1);
        lapic.register(KvmLapicState.APIC_LVT_LINT1,
                (lint1 & ~KvmLapicState.LVT_DELIVERY_MODE_MASK) | KvmLapicState.DELIVERY_MODE_NMI);
        vcpu.setLapic(lapic);
    }

    /**
     * Boot vCPU: 64-bit mode with paging on, the segment registers loaded from the loader's GDT
     * (read from guest memory so they match what the guest will find there), and RIP/RSI/RSP
     * from the boot entry (Linux 64-bit boot protocol: RSI points at boot_params).
     */
    public static void setLongModeEntry(VcpuFd vcpu, BootEntry entry, GuestMemory memory) {
        KvmSregs sregs = new KvmSregs();
        vcpu.getSregs(sregs);
        KvmSegment code = gdtSegment(memory, entry, BootEntry.CODE_SELECTOR);
        KvmSegment data = gdtSegment(memory, entry, BootEntry.DATA_SELECTOR);
        KvmSegment tss = gdtSegment(memory, entry, BootEntry.TSS_SELECTOR);
        if (!code.l() || !code.present()) {
            throw new VmConfigurationException(String.format(
                    "GDT entry 0x%x at 0x%x is not a present 64-bit code segment; the loader must write one there",
                    BootEntry.CODE_SELECTOR, entry.gdtBase()));
        }
        sregs.setSegment(KvmSregs.CS, code);
        sregs.setSegment(KvmSregs.DS, data);
        sregs.setSegment(KvmSregs.ES, data);
        sregs.setSegment(KvmSregs.FS, data);
        sregs.setSegment(KvmSregs.GS, data);
        sregs.setSegment(KvmSregs.SS, data);
        sregs.setSegment(KvmSregs.TR, tss);
        sregs.setDtable(KvmSregs.GDT, entry.gdtBase(), entry.gdtLimit());
        sregs.setDtable(KvmSregs.IDT, entry.idtBase(), entry.idtLimit());
        sregs.set(KvmSregs.CR0, CR0_PE | CR0_ET | CR0_PG);
        sregs.set(KvmSregs.CR3, entry.pml4());
        sregs.set(KvmSregs.CR4, CR4_PAE);
        sregs.set(KvmSregs.EFER, EFER_LME | EFER_LMA);
        vcpu.setSregs(sregs);

        KvmRegs regs = new KvmRegs();
        regs.set(KvmRegs.RFLAGS, RFLAGS_RESERVED);
        regs.set(KvmRegs.RIP, entry.entryPoint());
        regs.set(KvmRegs.RSP, entry.stackPointer());
        regs.set(KvmRegs.RBP, entry.stackPointer());
        regs.set(KvmRegs.RSI, entry.zeroPage());
        vcpu.setRegs(regs);
    }

    /** Application processors sleep until the guest's INIT-SIPI-SIPI. */
    public static void setWaitForSipi(VcpuFd vcpu) {
        vcpu.setMpState(KvmMpState.UNINITIALIZED);
    }

    private static KvmSegment gdtSegment(GuestMemory memory, BootEntry entry, int selector) {
        int offset = selector & ~7;
        if (offset + 7 > entry.gdtLimit()) {
            throw new VmConfigurationException(String.format(
                    "boot GDT limit 0x%x does not cover selector 0x%x; the loader's GDT must hold entries up to 0x%x",
                    entry.gdtLimit(), selector, BootEntry.TSS_SELECTOR));
        }
        long gpa = entry.gdtBase() + offset;
        if (!memory.isValid(gpa, 8)) {
            throw new VmConfigurationException(String.format("boot GDT at 0x%x is outside guest RAM", entry.gdtBase()));
        }
        return KvmSegment.fromGdtEntry(selector, memory.getLong(gpa));
    }
}
