package dev.ember.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.kvm.KvmIrqRouting;
import dev.ember.kvm.KvmIrqRoutingEntry;
import dev.ember.kvm.KvmIrqRoutingMsi;
import dev.ember.pci.MsiVectors;
import dev.ember.testing.TestTags;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * MSI vectors on the machine's /dev/kvm: GSIs above the IOAPIC pins, irqfds registered, and
 * KVM_SET_GSI_ROUTING taking a table that keeps KVM's own irqchip routes next to the MSI ones.
 */
@Tag(TestTags.NEEDS_KVM)
class VmMsiVectorsTest {
    @BeforeEach
    void needKvm() {
        KvmTestSupport.requireKvm();
    }

    @Test
    void vectorsGetGsisAboveTheIoapicAndRoutesKvmAccepts() {
        try (Vm vm = Vm.create(new VmSpec(1, 64 << 20, false))) {
            KvmMsiVectors a = (KvmMsiVectors) vm.interrupts().msiVectors(2);
            KvmMsiVectors b = (KvmMsiVectors) vm.interrupts().msiVectors(3);
            assertEquals(24, a.gsi(0));
            assertEquals(25, a.gsi(1));
            assertEquals(26, b.gsi(0));
            assertFalse(a.signal(0), "a vector with no route is not signalled");
            a.route(0, 0xfee0_0000L, 0x4031);
            b.route(2, 0xfee0_1000L, 0x4032);
            assertTrue(a.signal(0));
            assertFalse(a.signal(2), "no such vector");
        }
    }

    @Test
    void theInstalledTableHoldsKvmsIrqchipRoutesThenTheMsiOnes() {
        try (Vm vm = Vm.create(new VmSpec(1, 64 << 20, false))) {
            MsiVectors v = vm.interrupts().msiVectors(1);
            v.route(0, 0x1_fee0_0000L, 0x55);
            GsiRouting routing = new GsiRouting(vm.vmFd());
            routing.allocate(1);
            routing.routeMsi(24, 0x1_fee0_0000L, 0x55);
            KvmIrqRouting table = routing.build();
            assertEquals(16 + 24 + 1, table.count());
            assertEquals(0, table.entryField(0, KvmIrqRoutingEntry.GSI));
            assertEquals(KvmIrqRoutingEntry.PIC_MASTER, table.entryField(0, KvmIrqRoutingEntry.IRQCHIP));
            assertEquals(KvmIrqRoutingEntry.IOAPIC, table.entryField(1, KvmIrqRoutingEntry.IRQCHIP));
            int slave = 2 * 9;
            assertEquals(9, table.entryField(slave, KvmIrqRoutingEntry.GSI));
            assertEquals(KvmIrqRoutingEntry.PIC_SLAVE, table.entryField(slave, KvmIrqRoutingEntry.IRQCHIP));
            assertEquals(1, table.entryField(slave, KvmIrqRoutingEntry.PIN));
            assertEquals(23, table.entryField(39, KvmIrqRoutingEntry.PIN));
            int msi = 40;
            assertEquals(24, table.entryField(msi, KvmIrqRoutingEntry.GSI));
            assertEquals(KvmIrqRoutingEntry.TYPE_MSI, table.entryField(msi, KvmIrqRoutingEntry.TYPE));
            assertEquals(0xfee0_0000, table.entryField(msi, KvmIrqRoutingEntry.MSI + KvmIrqRoutingMsi.ADDRESS_LO));
            assertEquals(1, table.entryField(msi, KvmIrqRoutingEntry.MSI + KvmIrqRoutingMsi.ADDRESS_HI));
            assertEquals(0x55, table.entryField(msi, KvmIrqRoutingEntry.MSI + KvmIrqRoutingMsi.DATA));
            assertThrows(IllegalArgumentException.class, () -> routing.routeMsi(25, 0, 0), "GSI not allocated");
        }
    }

    @Test
    void aVmRefusesMoreMsiVectorsThanItsTableHolds() {
        try (Vm vm = Vm.create(new VmSpec(1, 64 << 20, false))) {
            GsiRouting routing = new GsiRouting(vm.vmFd());
            routing.allocate(GsiRouting.MAX_MSI_GSIS);
            VmConfigurationException e = assertThrows(VmConfigurationException.class, () -> routing.allocate(1));
            assertTrue(e.getMessage().contains("MSI vectors"), e.getMessage());
        }
    }
}
