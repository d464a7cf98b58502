package dev.ember.vm;

import dev.ember.kvm.KvmClockData;
import dev.ember.kvm.KvmIrqchip;
import dev.ember.kvm.KvmPitState2;
import dev.ember.kvm.VmFd;
import dev.ember.snapshot.SnapshotFormatException;
import dev.ember.snapshot.StateReader;
import dev.ember.snapshot.StateSections;
import dev.ember.snapshot.StateWriter;
import dev.ember.sys.NativeException;
import dev.ember.vm.x86.X86VcpuState;

/**
 * The VM's kernel-side state as snapshot sections: {@code vm} (shape, PIT, kvmclock, both PICs,
 * IOAPIC) and one {@code vcpuN} per vCPU. {@link Vm} decides when it may be read or written.
 */
final class KvmVmState {
    private static final int[] IRQCHIPS = {KvmIrqchip.PIC_MASTER, KvmIrqchip.PIC_SLAVE, KvmIrqchip.IOAPIC};

    private KvmVmState() {}

    /** See {@link Vm#saveState}; the vCPUs must not be running. */
    static void save(VmFd vmFd, Vcpu[] vcpus, long memorySize, X86VcpuState.Capabilities caps, StateSections out) {
        StateWriter w = new StateWriter();
        w.i32(vcpus.length).i64(memorySize);
        KvmPitState2 pit = new KvmPitState2();
        vmFd.getPit2(pit);
        w.bytes(pit.toBytes());
        KvmClockData clock = new KvmClockData();
        vmFd.getClock(clock);
        w.i64(clock.clock());
        for (int chipId : IRQCHIPS) {
            KvmIrqchip chip = new KvmIrqchip();
            chip.chipId(chipId);
            vmFd.getIrqchip(chip);
            w.bytes(chip.toBytes());
        }
        out.put("vm", w);
        for (Vcpu v : vcpus) {
            StateWriter vw = new StateWriter();
            X86VcpuState.save(v.fd(), caps, vw);
            out.put("vcpu" + v.id(), vw);
        }
    }

    /**
     * See {@link Vm#restoreState}.
     *
     * @throws SnapshotFormatException the state does not fit this VM or KVM refuses it
     */
    static void restore(VmFd vmFd, Vcpu[] vcpus, long memorySize, StateSections in) {
        StateReader r = in.reader("vm");
        int n = r.i32("vcpu count");
        long mem = r.i64("memory size");
        if (n != vcpus.length || mem != memorySize) {
            throw new SnapshotFormatException("snapshot is of a VM with " + n + " vCPUs and " + (mem >> 20)
                    + " MiB, this VM has " + vcpus.length + " vCPUs and " + (memorySize >> 20) + " MiB");
        }
        KvmPitState2 pit = new KvmPitState2();
        pit.fromBytes(r.bytes("pit2", KvmPitState2.SIZE));
        KvmClockData clock = new KvmClockData();
        clock.clock(r.i64("kvmclock"));
        KvmIrqchip[] chips = new KvmIrqchip[IRQCHIPS.length];
        for (int i = 0; i < chips.length; i++) {
            chips[i] = new KvmIrqchip();
            chips[i].fromBytes(r.bytes("irqchip", KvmIrqchip.SIZE));
            if (chips[i].chipId() != IRQCHIPS[i]) {
                throw r.invalid("irqchip " + i, "has chip id " + chips[i].chipId() + ", expected " + IRQCHIPS[i]);
            }
        }
        r.end();
        try {
            vmFd.setPit2(pit);
            vmFd.setClock(clock); // flags 0: KVM_SET_CLOCK takes no TSC_STABLE flag
            for (KvmIrqchip chip : chips) {
                vmFd.setIrqchip(chip);
            }
            for (Vcpu v : vcpus) {
                StateReader vr = in.reader("vcpu" + v.id());
                X86VcpuState.restore(v.fd(), vr);
                vr.end();
            }
        } catch (NativeException e) {
            throw new SnapshotFormatException("KVM refused the snapshot's state: " + e.getMessage(), e);
        }
    }
}
