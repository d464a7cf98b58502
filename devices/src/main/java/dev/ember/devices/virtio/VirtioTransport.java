package dev.ember.devices.virtio;

import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;

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
     * DEVICE_NEEDS_RESET, raise a config interrupt, log and count it. The device stops serving
     * queues until the driver resets it.
     */
    void deviceError(String reason);

    /** True once {@link #deviceError} was called and until reset. */
    boolean broken();
}
