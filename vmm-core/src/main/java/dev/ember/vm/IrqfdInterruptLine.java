package dev.ember.vm;

import dev.ember.eventloop.EventFd;
import dev.ember.irq.InterruptLine;

/**
 * An edge-triggered GSI backed by a KVM irqfd: {@link #trigger()} is one eventfd write, from any
 * thread, and KVM injects the interrupt without waking a vCPU thread in user space.
 */
final class IrqfdInterruptLine implements InterruptLine, AutoCloseable {
    private final EventFd eventFd;
    private final int gsi;

    IrqfdInterruptLine(EventFd eventFd, int gsi) {
        this.eventFd = eventFd;
        this.gsi = gsi;
    }

    @Override
    public void trigger() {
        // Every writer writes the same value, so sharing EventFd's write buffer across threads is harmless.
        eventFd.write(1);
    }

    @Override
    public int gsi() {
        return gsi;
    }

    EventFd eventFd() {
        return eventFd;
    }

    @Override
    public void close() {
        eventFd.close();
    }
}
