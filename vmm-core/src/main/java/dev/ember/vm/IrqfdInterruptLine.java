package dev.ember.vm;

import dev.ember.eventloop.EventFd;
import dev.ember.irq.InterruptLine;
import dev.ember.metrics.Counter;
import dev.ember.metrics.FirecrackerMetrics;

/**
 * An edge-triggered GSI backed by a KVM irqfd: {@link #trigger()} is one eventfd write, from any
 * thread, and KVM injects the interrupt without waking a vCPU thread in user space.
 *
 * <p>On PVM ({@code kvm_pvm}) an interrupt injected through an irqfd is measured to reach the
 * guest only at that vCPU's next exit, which an idle tickless guest may not make for seconds
 * (virtio-net RX sat in the used ring for 3-10 s, and the guest never answered ARP). There the
 * line also kicks the other vCPUs out of KVM_RUN, so KVM injects the interrupt on re-entry.
 * A vCPU thread raising the line needs no kick: it re-enters KVM_RUN right after its exit.
 */
final class IrqfdInterruptLine implements InterruptLine, AutoCloseable {
    /** Firecracker's {@code interrupts.triggers}: every edge any device raised. */
    private static final Counter TRIGGERS = FirecrackerMetrics.INTERRUPTS.declare().counter("triggers");

    private final EventFd eventFd;
    private final int gsi;
    private final Vcpu[] kickTargets;

    /** @param kickTargets vCPUs to kick after each edge (PVM), or null on hardware KVM */
    IrqfdInterruptLine(EventFd eventFd, int gsi, Vcpu[] kickTargets) {
        this.eventFd = eventFd;
        this.gsi = gsi;
        this.kickTargets = kickTargets;
    }

    @Override
    public boolean trigger() {
        TRIGGERS.inc();
        // Every writer writes the same value, so sharing EventFd's write buffer across threads is harmless.
        if (!eventFd.write(1)) {
            return false;
        }
        Vcpu[] targets = kickTargets;
        if (targets != null) {
            Thread current = Thread.currentThread();
            for (Vcpu v : targets) {
                if (v.thread() != current) {
                    v.kick();
                }
            }
        }
        return true;
    }

    @Override
    public int gsi() {
        return gsi;
    }

    @Override
    public EventFd eventFd() {
        return eventFd;
    }

    @Override
    public void close() {
        eventFd.close();
    }
}
