package dev.ember.kvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.testing.TestTags;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The state-capture ioctls (what pause/snapshot needs) against the real KVM: every get/set pair
 * round-trips through the declared struct without the kernel rejecting or altering it.
 */
@Tag(TestTags.NEEDS_KVM)
class KvmStateRoundTripTest {
    @BeforeEach
    void needKvm() {
        if (!Kvm.available()) {
            System.out.println("SKIPPED: " + Kvm.DEVICE + " is absent on this machine");
        }
        assumeTrue(Kvm.available(), Kvm.DEVICE + " is absent");
    }

    @Test
    void systemFdReportsApiVersionCapabilitiesAndMsrList() {
        try (Kvm kvm = Kvm.open()) {
            assertEquals(Kvm.API_VERSION, kvm.apiVersion());
            assertTrue(kvm.checkExtension(KvmCap.IRQCHIP) > 0);
            assertTrue(kvm.checkExtension(KvmCap.IMMEDIATE_EXIT) > 0);
            assertTrue(kvm.vcpuMmapSize() >= KvmRun.SIZE);
            int[] msrs = kvm.msrIndexList();
            assertTrue(msrs.length > 0);
            boolean hasLstar = false;
            for (int m : msrs) {
                hasLstar |= m == 0xc0000082;
            }
            assertTrue(hasLstar, "KVM saves LSTAR");
            KvmCpuid2 cpuid = kvm.supportedCpuid();
            assertTrue(cpuid.count() > 10 && cpuid.count() <= KvmCpuid2.MAX_ENTRIES);
            assertTrue(cpuid.find(0x40000000, 0) >= 0, "KVM signature leaf");
        }
    }

    @Test
    void vmAndVcpuStateRoundTrips() {
        try (Kvm kvm = Kvm.open(); VmFd vm = kvm.createVm()) {
            vm.setTssAddress(0xfffbd000L);
            vm.createIrqchip();
            vm.createPit2(KvmPitConfig.SPEAKER_DUMMY);
            try (VcpuFd vcpu = vm.createVcpu(0)) {
                for (int chipId : new int[] {KvmIrqchip.PIC_MASTER, KvmIrqchip.PIC_SLAVE, KvmIrqchip.IOAPIC}) {
                    KvmIrqchip chip = new KvmIrqchip();
                    chip.chipId(chipId);
                    vm.getIrqchip(chip);
                    assertEquals(chipId, chip.chipId());
                    byte[] before = chip.toBytes();
                    vm.setIrqchip(chip);
                    KvmIrqchip again = new KvmIrqchip();
                    again.chipId(chipId);
                    vm.getIrqchip(again);
                    assertArrayEquals(before, again.toBytes(), "irqchip " + chipId);
                }

                KvmPitState2 pit = new KvmPitState2();
                vm.getPit2(pit);
                vm.setPit2(pit);

                KvmClockData clock = new KvmClockData();
                vm.getClock(clock);
                long ns = clock.clock() + 1_000_000_000L;
                KvmClockData set = new KvmClockData();
                set.clock(ns);
                vm.setClock(set);
                KvmClockData after = new KvmClockData();
                vm.getClock(after);
                assertTrue(after.clock() >= ns, "kvmclock moved to at least the value set");

                vm.setIrqLine(4, true);
                vm.setIrqLine(4, false);

                KvmRegs regs = new KvmRegs();
                vcpu.getRegs(regs);
                assertEquals(0xfff0, regs.get(KvmRegs.RIP), "reset RIP");
                regs.set(KvmRegs.RAX, 0x1122334455667788L);
                regs.set(KvmRegs.R15, -2);
                vcpu.setRegs(regs);
                KvmRegs regs2 = new KvmRegs();
                vcpu.getRegs(regs2);
                assertArrayEquals(regs.toBytes(), regs2.toBytes(), "kvm_regs");

                KvmSregs sregs = new KvmSregs();
                vcpu.getSregs(sregs);
                assertEquals(0xf000, sregs.segment(KvmSregs.CS).selector(), "reset CS selector");
                assertEquals(0xffff0000L, sregs.segment(KvmSregs.CS).base(), "reset CS base");
                vcpu.setSregs(sregs);

                KvmLapicState lapic = new KvmLapicState();
                vcpu.getLapic(lapic);
                vcpu.setLapic(lapic);

                KvmVcpuEvents events = new KvmVcpuEvents();
                vcpu.getVcpuEvents(events);
                vcpu.setVcpuEvents(events);

                KvmXcrs xcrs = new KvmXcrs();
                vcpu.getXcrs(xcrs);
                assertTrue(xcrs.count() >= 1, "XCR0 reported");
                assertEquals(0, xcrs.xcr(0));
                assertEquals(1, xcrs.value(0) & 1, "XCR0.x87 is always set");
                vcpu.setXcrs(xcrs);

                if (kvm.checkExtension(KvmCap.DEBUGREGS) > 0) {
                    KvmDebugregs dr = new KvmDebugregs();
                    vcpu.getDebugregs(dr);
                    assertEquals(0x400, dr.dr7(), "DR7 reset value");
                    vcpu.setDebugregs(dr);
                    KvmDebugregs again = new KvmDebugregs();
                    vcpu.getDebugregs(again);
                    assertArrayEquals(dr.toBytes(), again.toBytes(), "kvm_debugregs");
                }

                KvmXsave xsave = new KvmXsave();
                vcpu.getXsave(xsave);
                vcpu.setXsave(xsave);

                assertEquals(KvmMpState.RUNNABLE, vcpu.getMpState());
                vcpu.setMpState(KvmMpState.HALTED);
                assertEquals(KvmMpState.HALTED, vcpu.getMpState());

                KvmMsrs msrs = new KvmMsrs(1);
                msrs.add(0xc0000082, 0xffffffff81000000L);
                assertEquals(1, vcpu.setMsrs(msrs));
                KvmMsrs read = new KvmMsrs(1);
                read.add(0xc0000082, 0);
                assertEquals(1, vcpu.getMsrs(read));
                assertEquals(0xffffffff81000000L, read.data(0));
            }
        }
    }
}
