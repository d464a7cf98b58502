package dev.ember.devices.virtio;

import dev.ember.eventloop.EventFd;
import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;
import dev.ember.memory.GuestMemoryException;

/** What an activated device may ask of its transport. Event-loop thread only. */
public interface VirtioTransport {
    GuestMemory memory();

    EventLoop eventLoop();

    SplitQueue queue(int index);

    /** Feature bits both sides agreed on. */
    long negotiatedFeatures();

    /** Raises the used-buffer interrupt if the queue's suppression state asks for one. */
    void notifyUsed(SplitQueue queue);

    /** Bumps ConfigGeneration and raises the configuration-change interrupt. */
    void configChanged();

    /**
     * The driver broke the device contract (malformed chain, impossible request layout): set
     * DEVICE_NEEDS_RESET, raise a config interrupt, log {@code detail} and count it under
     * {@code reason}. The device stops serving queues until the driver resets it.
     */
    void deviceError(VirtqueueException.Reason reason, String detail);

    /** {@link #deviceError(VirtqueueException.Reason, String)} for what a queue pass threw. */
    default void deviceError(VirtqueueException e) {
        deviceError(e.reason(), e.getMessage());
    }

    /** A guest memory access failed while serving a request. */
    default void deviceError(GuestMemoryException e) {
        deviceError(VirtqueueException.Reason.GUEST_MEMORY, e.getMessage());
    }

    /** True once {@link #deviceError} was called and until reset. */
    boolean broken();

    /** The eventfd the guest's notifications of queue {@code index} signal (KVM's ioeventfd on the notify address). */
    EventFd queueNotifyFd(int index);

    /**
     * The eventfd whose signal raises queue {@code index}'s used-buffer interrupt without the
     * VMM (the line's KVM irqfd), or null when this transport has none to give.
     */
    EventFd queueInterruptFd(int index);
}
