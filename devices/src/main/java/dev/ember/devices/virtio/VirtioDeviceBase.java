package dev.ember.devices.virtio;

import dev.ember.devices.ratelimit.RateLimiter;
import dev.ember.eventloop.EventLoop;
import dev.ember.eventloop.ThreadConfinement;

/**
 * What every virtio device model keeps the same way: its identity (type, name, queue count,
 * metrics), its configuration space (fields put while the device is built), the event loop it is attached to, and the transport it serves from DRIVER_OK until reset. Both
 * are set and cleared here, on the loop (checked under {@link ThreadConfinement}); a device adds
 * its own steps in {@link #onAttach}, {@link #onActivate} and {@link #onReset}. Devices may
 * still implement {@link VirtioDevice} directly.
 */
public abstract class VirtioDeviceBase implements VirtioDevice {
    private final int deviceType;
    private final String name;
    private final int queueCount;
    protected final DeviceMetrics metrics;
    /** Read by vCPU threads; {@link ConfigSpace#put} only while the device is built, {@link ConfigSpace#update} after. */
    protected final ConfigSpace config;
    /** Set once by {@link #attach}; read by other threads only to hand work to the loop. */
    protected volatile EventLoop loop;
    /** The transport while the driver has the device active; null before DRIVER_OK and after a reset. */
    protected VirtioTransport transport;

    /** {@code configSize}: bytes of config space, 0 for a device that has none (every access counts as cfg_fails). */
    protected VirtioDeviceBase(int deviceType, String name, int queueCount, int configSize, DeviceMetrics metrics) {
        this.deviceType = deviceType;
        this.name = name;
        this.queueCount = queueCount;
        this.metrics = metrics;
        this.config = new ConfigSpace(configSize, metrics);
    }

    /** {@code id}, or IllegalArgumentException naming {@code field} when it is null or empty. */
    protected static String requireId(String id, String field) {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException(field + " must not be empty");
        }
        return id;
    }

    @Override public final int deviceType() { return deviceType; }
    @Override public final String name() { return name; }
    @Override public final int queueCount() { return queueCount; }
    @Override public final DeviceMetrics metrics() { return metrics; }

    /** The ring features (VERSION_1 and the ring layout's); a device that offers more overrides this. */
    @Override
    public long deviceFeatures() {
        return Virtio.RING_FEATURES;
    }

    @Override
    public long readConfig(int offset, int size) {
        return config.read(offset, size);
    }

    @Override
    public final void attach(EventLoop eventLoop) {
        this.loop = eventLoop;
        onAttach(eventLoop);
    }

    /** Registers the device's timers and host fds on the loop it was just attached to. */
    protected void onAttach(EventLoop eventLoop) {}

    /**
     * Attaches {@code limiter} to the device's loop (from {@link #onAttach}): when its timer lets a
     * throttled queue go, Firecracker counts the event ({@code timerEvents}, the group's
     * {@code *rate_limiter_event_count}) and the queue is served again ({@code serve}).
     */
    protected final void attachLimiter(RateLimiter limiter, DeviceCounter timerEvents, Runnable serve) {
        limiter.attach(loop, () -> {
            timerEvents.inc();
            serve.run();
        });
    }

    @Override
    public final void activate(VirtioTransport t) {
        ThreadConfinement.requireLoop(loop, name + ": activate");
        transport = t;
        try {
            onActivate(t);
        } catch (RuntimeException e) {
            transport = null; // the device stays inactive; the transport reports the failure
            throw e;
        }
    }

    /** DRIVER_OK: {@link #transport} is set; reads what was negotiated, starts serving. Throws to refuse. */
    protected void onActivate(VirtioTransport t) {}

    @Override
    public final void reset() {
        ThreadConfinement.requireLoop(loop, name + ": reset");
        transport = null;
        onReset();
    }

    /** Device reset: {@link #transport} is already null; drop the device's own queue state. */
    protected void onReset() {}
}
