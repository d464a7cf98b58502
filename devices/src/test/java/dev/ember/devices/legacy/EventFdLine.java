package dev.ember.devices.legacy;

import dev.ember.eventloop.EventFd;
import dev.ember.irq.InterruptLine;

/** An interrupt line backed by a real eventfd, as an irqfd is: tests read the count of edges. */
final class EventFdLine implements InterruptLine, AutoCloseable {
    final EventFd fd = EventFd.nonBlocking();

    @Override
    public boolean trigger() {
        return fd.write(1);
    }

    @Override
    public int gsi() {
        return 4;
    }

    long edges() {
        return fd.read();
    }

    @Override
    public void close() {
        fd.close();
    }
}
