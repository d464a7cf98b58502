package dev.ember.vm.x86;

import dev.ember.kvm.KvmCpuid2;
import dev.ember.kvm.KvmDebugregs;
import dev.ember.kvm.KvmFpu;
import dev.ember.kvm.KvmLapicState;
import dev.ember.kvm.KvmMsrs;
import dev.ember.kvm.KvmRegs;
import dev.ember.kvm.KvmSregs;
import dev.ember.kvm.KvmVcpuEvents;
import dev.ember.kvm.KvmXcrs;
import dev.ember.kvm.KvmXsave;
import dev.ember.kvm.VcpuFd;
import dev.ember.snapshot.SnapshotFormatException;
import dev.ember.snapshot.StateReader;
import dev.ember.snapshot.StateWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * Captures and restores one x86 vCPU's architectural state through the KVM ioctls, for
 * snapshots. Call only while the vCPU's thread is out of KVM_RUN (the VM is paused, or the
 * vCPU has not run yet).
 *
 * <p>Order, following the KVM API notes and Firecracker: on save, MP_STATE first
 * (KVM_GET_MP_STATE runs pending APIC events, which may change other state) and VCPU_EVENTS
 * last; on restore CPUID first (it decides which MSRs and XSAVE features are valid), then
 * MP_STATE, REGS, SREGS, FPU/XSAVE, XCRS, DEBUGREGS, LAPIC, then the MSRs (MSR_IA32_TSC_DEADLINE
 * is only accepted once the LAPIC is in TSC-deadline mode), and VCPU_EVENTS last, so a pending
 * exception or NMI is not overwritten by the other calls.
 */
public final class X86VcpuState {
    /** What the host KVM offers, decided once per VM. */
    public record Capabilities(int[] msrIndices, boolean xsave, boolean xcrs, boolean debugregs) {}

    private X86VcpuState() {}

    public static void save(VcpuFd vcpu, Capabilities caps, StateWriter out) {
        out.i32(vcpu.getMpState());

        KvmCpuid2 cpuid = new KvmCpuid2(KvmCpuid2.MAX_ENTRIES);
        vcpu.getCpuid2(cpuid);
        out.bytes(cpuid.toBytes());

        KvmRegs regs = new KvmRegs();
        vcpu.getRegs(regs);
        out.bytes(regs.toBytes());
        KvmSregs sregs = new KvmSregs();
        vcpu.getSregs(sregs);
        out.bytes(sregs.toBytes());
        KvmFpu fpu = new KvmFpu();
        vcpu.getFpu(fpu);
        out.bytes(fpu.toBytes());

        out.bool(caps.xsave());
        if (caps.xsave()) {
            KvmXsave xsave = new KvmXsave();
            vcpu.getXsave(xsave);
            out.bytes(xsave.toBytes());
        }
        out.bool(caps.xcrs());
        if (caps.xcrs()) {
            KvmXcrs xcrs = new KvmXcrs();
            vcpu.getXcrs(xcrs);
            out.bytes(xcrs.toBytes());
        }
        out.bool(caps.debugregs());
        if (caps.debugregs()) {
            KvmDebugregs dr = new KvmDebugregs();
            vcpu.getDebugregs(dr);
            out.bytes(dr.toBytes());
        }

        KvmLapicState lapic = new KvmLapicState();
        vcpu.getLapic(lapic);
        out.bytes(lapic.toBytes());

        KvmMsrs msrs = readMsrs(vcpu, caps.msrIndices());
        out.i32(msrs.count());
        for (int i = 0; i < msrs.count(); i++) {
            out.i32(msrs.index(i)).i64(msrs.data(i));
        }

        KvmVcpuEvents events = new KvmVcpuEvents();
        vcpu.getVcpuEvents(events);
        out.bytes(events.toBytes());
    }

    /**
     * Reads every MSR KVM lists as saveable; KVM_GET_MSRS stops at the first MSR this vCPU
     * cannot read (e.g. one whose feature CPUID does not expose), so those are skipped.
     */
    static KvmMsrs readMsrs(VcpuFd vcpu, int[] indices) {
        List<long[]> read = new ArrayList<>();
        int start = 0;
        while (start < indices.length) {
            KvmMsrs batch = new KvmMsrs(indices.length - start);
            for (int i = start; i < indices.length; i++) {
                batch.add(indices[i], 0);
            }
            int got = vcpu.getMsrs(batch);
            for (int i = 0; i < got; i++) {
                read.add(new long[] {batch.index(i), batch.data(i)});
            }
            start += got + 1; // skip the one KVM refused
        }
        KvmMsrs out = new KvmMsrs(Math.max(read.size(), 1));
        for (long[] e : read) {
            out.add((int) e[0], e[1]);
        }
        return out;
    }

    public static void restore(VcpuFd vcpu, StateReader in) {
        int mpState = in.i32("mp_state", 0, 16);

        KvmCpuid2 cpuid = new KvmCpuid2(KvmCpuid2.MAX_ENTRIES);
        cpuid.fromBytes(in.bytes("cpuid", cpuid.byteSize()));
        if (cpuid.count() < 1 || cpuid.count() > KvmCpuid2.MAX_ENTRIES) {
            throw in.invalid("cpuid", "has " + cpuid.count() + " entries");
        }
        KvmRegs regs = new KvmRegs();
        regs.fromBytes(in.bytes("regs", KvmRegs.SIZE));
        KvmSregs sregs = new KvmSregs();
        sregs.fromBytes(in.bytes("sregs", KvmSregs.SIZE));
        KvmFpu fpu = new KvmFpu();
        fpu.fromBytes(in.bytes("fpu", KvmFpu.SIZE));
        KvmXsave xsave = null;
        if (in.bool("xsave present")) {
            xsave = new KvmXsave();
            xsave.fromBytes(in.bytes("xsave", KvmXsave.SIZE));
        }
        KvmXcrs xcrs = null;
        if (in.bool("xcrs present")) {
            xcrs = new KvmXcrs();
            xcrs.fromBytes(in.bytes("xcrs", KvmXcrs.SIZE));
        }
        KvmDebugregs debugregs = null;
        if (in.bool("debugregs present")) {
            debugregs = new KvmDebugregs();
            debugregs.fromBytes(in.bytes("debugregs", KvmDebugregs.SIZE));
        }
        KvmLapicState lapic = new KvmLapicState();
        lapic.fromBytes(in.bytes("lapic", KvmLapicState.SIZE));
        int msrCount = in.i32("msr count", 0, 4096);
        KvmMsrs msrs = new KvmMsrs(Math.max(msrCount, 1));
        for (int i = 0; i < msrCount; i++) {
            msrs.add(in.i32("msr index"), in.i64("msr value"));
        }
        KvmVcpuEvents events = new KvmVcpuEvents();
        events.fromBytes(in.bytes("vcpu_events", KvmVcpuEvents.SIZE));

        vcpu.setCpuid2(cpuid);
        vcpu.setMpState(mpState);
        vcpu.setRegs(regs);
        vcpu.setSregs(sregs);
        vcpu.setFpu(fpu);
        if (xsave != null) {
            vcpu.setXsave(xsave);
        }
        if (xcrs != null) {
            vcpu.setXcrs(xcrs);
        }
        if (debugregs != null) {
            vcpu.setDebugregs(debugregs);
        }
        vcpu.setLapic(lapic);
        int accepted = vcpu.setMsrs(msrs);
        if (accepted != msrCount) {
            throw new SnapshotFormatException(String.format("vcpu%d: KVM refused MSR 0x%x from the snapshot (%d of %d set);"
                    + " was the snapshot taken on a host with a different CPU or KVM?", vcpu.id(), msrs.index(accepted), accepted, msrCount));
        }
        vcpu.setVcpuEvents(events);
    }
}
