package dev.ember.vm;

import dev.ember.eventloop.EventFd;

/**
 * Binds a guest write to an MMIO address to an eventfd inside KVM (ioeventfd), so a virtqueue
 * kick never leaves the kernel on the vCPU thread; the event loop reads the eventfd instead.
 */
@FunctionalInterface
public interface IoEventRegistrar {
    /**
     * @param datamatch the value the write must carry to signal {@code fd}, or -1 to match any
     */
    void registerIoEvent(long mmioAddress, int length, long datamatch, EventFd fd);
}
