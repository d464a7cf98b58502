package dev.ember.devices.net;

import dev.ember.eventloop.EventLoop;

/**
 * A hook on a network device's data path for frames the VMM itself answers rather than the
 * host network (Firecracker's MMDS: the guest's HTTP requests to the metadata address are
 * handled in the VMM). Called on the event-loop thread; implementations must not block.
 *
 * <p>Frames are plain Ethernet frames without the virtio-net header. Addresses are host
 * addresses of native buffers owned by the device, valid only during the call.
 */
public interface FrameInterceptor {
    /**
     * Sees every frame the guest transmits before it goes to the TAP.
     *
     * @return true if the interceptor consumed the frame (it is not written to the TAP)
     */
    boolean interceptTx(long frameAddress, int length);

    /**
     * Asked whenever the device can deliver a frame to the guest, before reading the TAP: copy
     * one pending frame into {@code [bufferAddress, bufferAddress + capacity)}.
     *
     * @return the frame's length, or 0 if the interceptor has nothing to send
     */
    int pollRx(long bufferAddress, int capacity);

    /**
     * Called once the device is on its event loop: an interceptor with timers (retransmission)
     * registers them on {@code loop} and runs {@code framesReady} (on the loop) when it has
     * frames for the guest that no guest transmission will prompt.
     */
    default void bind(EventLoop loop, Runnable framesReady) {
    }

    /** The device is closing: release what {@link #bind} registered. */
    default void detach() {
    }
}
