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

    /**
     * Undoes {@link #registerIoEvent} with the same arguments (a PCI BAR holding notify registers
     * moved). Registrars of devices that never move need not support it.
     */
    default void unregisterIoEvent(long mmioAddress, int length, long datamatch, EventFd fd) {
        throw new UnsupportedOperationException("this registrar cannot remove an ioeventfd");
    }
}
