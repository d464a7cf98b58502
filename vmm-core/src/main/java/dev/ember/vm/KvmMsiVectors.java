package dev.ember.vm;

import dev.ember.pci.MsiVectors;

/**
 * A function's MSI-X vectors on KVM: vector {@code v} is GSI {@code firstGsi + v}, an MSI route in
 * the VM's {@link GsiRouting} and an irqfd ({@link IrqfdInterruptLine}, which also kicks the vCPUs
 * on PVM, where an irqfd's interrupt otherwise waits for the vCPU's next exit). Signalling is one
 * eventfd write; a vector never routed is not signalled (KVM would drop it anyway).
 */
final class KvmMsiVectors implements MsiVectors {
    private final GsiRouting routing;
    private final IrqfdInterruptLine[] lines;
    /** Written on configuration paths, read by {@link #signal} on any thread. */
    private final boolean[] routed;

    KvmMsiVectors(GsiRouting routing, IrqfdInterruptLine[] lines) {
        this.routing = routing;
        this.lines = lines;
        this.routed = new boolean[lines.length];
    }

    @Override
    public int count() {
        return lines.length;
    }

    @Override
    public void route(int vector, long address, int data) {
        routing.routeMsi(lines[vector].gsi(), address, data);
        synchronized (routed) {
            routed[vector] = true;
        }
    }

    @Override
    public boolean signal(int vector) {
        if (vector < 0 || vector >= lines.length) {
            return false;
        }
        boolean ok;
        synchronized (routed) {
            ok = routed[vector];
        }
        return ok && lines[vector].trigger();
    }

    /** The GSI of {@code vector} (tests, logs). */
    int gsi(int vector) {
        return lines[vector].gsi();
    }
}
