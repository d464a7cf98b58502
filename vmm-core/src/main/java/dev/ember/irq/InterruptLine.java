package dev.ember.irq;

import dev.ember.eventloop.EventFd;

/**
 * A device's interrupt input on the in-kernel irqchip. Edge-triggered lines (virtio-mmio,
 * the UART as Firecracker wires it) are usually backed by a KVM irqfd, so {@link #trigger()}
 * is one eventfd write and safe from any thread.
 */
public interface InterruptLine {
    /**
     * Raise an edge on the line.
     *
     * @return false when the edge could not be raised (the irqfd is gone): the device counts it
     *         in its {@code event_fails}, as Firecracker counts an interrupt it failed to signal
     */
    boolean trigger();

    /** The global system interrupt (IOAPIC pin) number, for device tables and the command line. */
    int gsi();

    /**
     * The eventfd whose signal raises this line without the VMM (a KVM irqfd), for another
     * process to signal directly: a vhost-user back-end's call fd. Null when the line has none.
     */
    default EventFd eventFd() {
        return null;
    }
}
