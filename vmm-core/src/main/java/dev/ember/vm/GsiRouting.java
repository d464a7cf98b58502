package dev.ember.vm;

import dev.ember.kvm.KvmIrqRouting;
import dev.ember.kvm.KvmIrqRoutingEntry;
import dev.ember.kvm.VmFd;

/**
 * The VM's whole GSI routing table, kept in one place because KVM_SET_GSI_ROUTING replaces the
 * table: the routes KVM_CREATE_IRQCHIP set up (GSIs 0-15 to both PICs' pins and the IOAPIC's,
 * 16-23 to the IOAPIC) written again every time, plus one MSI route per GSI handed out for
 * MSI-X vectors, from 24 up. Installed when a vector's message changes (the guest programming
 * its MSI-X table), never when an interrupt is raised: irqfds follow the new routes inside KVM.
 */
final class GsiRouting {
    static final int IOAPIC_PINS = 24;
    static final int PIC_PINS = 16;
    /** MSI GSIs this VM may hand out (KVM allows 4096 routes; a microVM's functions need a few dozen). */
    static final int MAX_MSI_GSIS = 1024;

    private final VmFd vmFd;
    private final KvmIrqRouting table = new KvmIrqRouting(PIC_PINS + IOAPIC_PINS + MAX_MSI_GSIS);
    private final long[] msiAddress = new long[MAX_MSI_GSIS];
    private final int[] msiData = new int[MAX_MSI_GSIS];
    private final boolean[] msiRouted = new boolean[MAX_MSI_GSIS];
    private int allocated;

    GsiRouting(VmFd vmFd) {
        this.vmFd = vmFd;
    }

    /** The first of {@code count} fresh GSIs for MSI routes (not routed until {@link #routeMsi}). */
    synchronized int allocate(int count) {
        if (count < 1 || allocated + count > MAX_MSI_GSIS) {
            throw new VmConfigurationException("no room for " + count + " more MSI vectors (" + allocated + " of "
                    + MAX_MSI_GSIS + " in use); configure fewer PCI devices");
        }
        int first = IOAPIC_PINS + allocated;
        allocated += count;
        return first;
    }

    /** Routes {@code gsi} (one {@link #allocate} gave) to the MSI message {@code address}/{@code data} and installs the table. */
    synchronized void routeMsi(int gsi, long address, int data) {
        int i = gsi - IOAPIC_PINS;
        if (i < 0 || i >= allocated) {
            throw new IllegalArgumentException("GSI " + gsi + " is not an allocated MSI GSI");
        }
        msiAddress[i] = address;
        msiData[i] = data;
        msiRouted[i] = true;
        install();
    }

    /** Writes the table KVM gets: the irqchip routes first, then every routed MSI GSI. */
    synchronized KvmIrqRouting build() {
        table.reset();
        for (int gsi = 0; gsi < IOAPIC_PINS; gsi++) {
            if (gsi < PIC_PINS) {
                table.addIrqchip(gsi, gsi < 8 ? KvmIrqRoutingEntry.PIC_MASTER : KvmIrqRoutingEntry.PIC_SLAVE, gsi % 8);
            }
            table.addIrqchip(gsi, KvmIrqRoutingEntry.IOAPIC, gsi);
        }
        for (int i = 0; i < allocated; i++) {
            if (msiRouted[i]) {
                table.addMsi(IOAPIC_PINS + i, msiAddress[i], msiData[i]);
            }
        }
        return table;
    }

    private void install() {
        vmFd.setGsiRouting(build());
    }
}
