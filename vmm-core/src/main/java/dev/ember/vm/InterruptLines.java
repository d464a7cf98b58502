package dev.ember.vm;

import dev.ember.eventloop.EventFd;
import dev.ember.irq.InterruptLine;
import dev.ember.kvm.Kvm;
import dev.ember.kvm.KvmCap;
import dev.ember.kvm.VmFd;
import dev.ember.pci.MsiVectors;
import java.util.HashMap;
import java.util.Map;

/**
 * The VM's interrupt lines into KVM's irqchip: an irqfd per IOAPIC pin a device asked for, and
 * per MSI-X vector of a PCI function (a GSI above the pins, with its route in {@link GsiRouting}).
 * The VM closes their eventfds. Any thread.
 */
public final class InterruptLines implements AutoCloseable {
    private final Kvm kvm;
    private final VmFd vmFd;
    /** vCPUs each edge kicks: PVM delivers irqfd interrupts late otherwise (see IrqfdInterruptLine); null on hardware KVM. */
    private final Vcpu[] kickTargets;
    /** Every line handed out, by GSI; guarded by this. */
    private final Map<Integer, IrqfdInterruptLine> lines = new HashMap<>();
    /** The GSI routing table, once a PCI function asked for MSI vectors; guarded by this. */
    private GsiRouting gsiRouting;

    InterruptLines(Kvm kvm, VmFd vmFd, Vcpu[] kickTargets) {
        this.kvm = kvm;
        this.vmFd = vmFd;
        this.kickTargets = kickTargets;
    }

    /**
     * An edge-triggered interrupt line on {@code gsi} backed by an irqfd; the same object for
     * repeated calls with one gsi. IOAPIC pins are 0..23.
     */
    public synchronized InterruptLine irqLine(int gsi) {
        if (gsi < 0 || gsi > 23) {
            throw new VmConfigurationException("interrupt line " + gsi + " is not an IOAPIC pin; use 0 to 23");
        }
        IrqfdInterruptLine line = lines.get(gsi);
        if (line == null) {
            line = irqfd(gsi);
            lines.put(gsi, line);
        }
        return line;
    }

    /**
     * {@code count} MSI-X vectors for one PCI function: fresh GSIs above the IOAPIC pins, each with
     * an irqfd; a vector's MSI route is installed when {@link MsiVectors#route} is called (the
     * guest programmed its table entry).
     *
     * @throws VmConfigurationException the host KVM has no GSI routing, or the VM ran out of MSI GSIs
     */
    public synchronized MsiVectors msiVectors(int count) {
        if (gsiRouting == null) {
            if (kvm.checkExtension(KvmCap.IRQ_ROUTING) <= 0) {
                throw new VmConfigurationException("host KVM lacks KVM_CAP_IRQ_ROUTING, which PCI devices' MSI-X needs;"
                        + " use a newer host kernel or leave PCI off");
            }
            gsiRouting = new GsiRouting(vmFd);
        }
        int first = gsiRouting.allocate(count);
        IrqfdInterruptLine[] vectors = new IrqfdInterruptLine[count];
        for (int v = 0; v < count; v++) {
            vectors[v] = irqfd(first + v);
            lines.put(first + v, vectors[v]);
        }
        return new KvmMsiVectors(gsiRouting, vectors);
    }

    private IrqfdInterruptLine irqfd(int gsi) {
        EventFd fd = EventFd.nonBlocking();
        try {
            vmFd.registerIrqfd(fd.fd(), gsi);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
        return new IrqfdInterruptLine(fd, gsi, kickTargets);
    }

    /** Closes every line's eventfd; the VM calls it once its vCPUs have stopped. */
    @Override
    public synchronized void close() {
        for (IrqfdInterruptLine line : lines.values()) {
            line.close();
        }
        lines.clear();
    }
}
