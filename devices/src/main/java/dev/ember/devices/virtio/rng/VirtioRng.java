package dev.ember.devices.virtio.rng;

import static dev.ember.metrics.FirecrackerMetrics.Entropy.ENTROPY_BYTES;
import static dev.ember.metrics.FirecrackerMetrics.Entropy.ENTROPY_EVENT_COUNT;
import static dev.ember.metrics.FirecrackerMetrics.Entropy.ENTROPY_EVENT_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.Entropy.ENTROPY_RATE_LIMITER_THROTTLED;
import static dev.ember.metrics.FirecrackerMetrics.Entropy.HOST_RNG_FAILS;
import static dev.ember.metrics.FirecrackerMetrics.Entropy.RATE_LIMITER_EVENT_COUNT;

import dev.ember.devices.ratelimit.RateLimiter;
import dev.ember.devices.virtio.DescriptorChain;
import dev.ember.devices.virtio.DeviceCounter;
import dev.ember.devices.virtio.DeviceCounters;
import dev.ember.devices.virtio.DeviceMetrics;
import dev.ember.devices.virtio.QueuePass;
import dev.ember.devices.virtio.Virtio;
import dev.ember.devices.virtio.VirtioDeviceBase;
import dev.ember.devices.virtio.VirtioTransport;
import dev.ember.eventloop.EventLoop;
import dev.ember.eventloop.ThreadConfinement;
import dev.ember.log.Log;
import dev.ember.memory.GuestMemory;
import dev.ember.metrics.FirecrackerMetrics.Entropy;
import dev.ember.metrics.FirecrackerMetrics;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.lang.System.Logger.Level;

/**
 * virtio-rng, Firecracker's "entropy" device (virtio 1.2, 5.4): one request queue, no config
 * space. Every chain is a set of device-writable buffers that the device fills with bytes of
 * the host's {@code getrandom(2)}, written straight into the guest mapping (no copy, no
 * allocation).
 *
 * <p>Bounds: a request is served up to {@link #MAX_REQUEST_BYTES} (the spec lets the device
 * write fewer bytes than offered; Linux asks for 64 at a time), so a guest offering a huge
 * buffer cannot hold the event loop in one call. A chain with device-readable buffers is
 * answered with 0 bytes and counted in {@code entropy_event_fails}, as Firecracker does; a
 * chain that is malformed itself (outside guest RAM, cyclic) raises DEVICE_NEEDS_RESET through
 * the queue as for every device. The rate limiter takes one operation and the bytes served.
 */
public final class VirtioRng extends VirtioDeviceBase {
    private static final System.Logger LOG = Log.logger(VirtioRng.class);
    public static final int DEVICE_ID = 4;
    /** Largest number of bytes one request gets. */
    public static final long MAX_REQUEST_BYTES = 64 * 1024;

    private final RateLimiter limiter;
    private final DeviceCounters<Entropy> m = metrics.counters(Entropy.class);
    private final DescriptorChain chain = new DescriptorChain(Virtio.MAX_QUEUE_SIZE);
    private final QueuePass.Server server = this::serveCounted;
    /** Host getrandom failures already logged; logging stops after a few (the counter goes on). */
    private int loggedHostFailures;

    /** @param rateLimiter null for unlimited */
    public VirtioRng(RateLimiter rateLimiter) {
        super(DEVICE_ID, "entropy", 1, 0, DeviceMetrics.single(FirecrackerMetrics.ENTROPY));
        this.limiter = rateLimiter == null ? RateLimiter.unlimited() : rateLimiter;
    }

    public RateLimiter rateLimiter() {
        return limiter;
    }

    @Override public DeviceCounter interruptFailures() { return m.get(Entropy.ENTROPY_EVENT_FAILS); }

    @Override
    protected void onAttach(EventLoop eventLoop) {
        attachLimiter(limiter, m.get(RATE_LIMITER_EVENT_COUNT), this::processQueue);
    }

    @Override
    public void onQueueNotify(int queueIndex) {
        if (limiter.blocked()) {
            m.get(RATE_LIMITER_EVENT_COUNT).inc(); // the timer will resume the queue
            return;
        }
        processQueue();
    }

    /** Serves requests until the queue is empty or the rate limiter says stop. */
    private void processQueue() {
        ThreadConfinement.requireLoop(loop, "VirtioRng.processQueue");
        QueuePass.serve(transport, 0, chain, limiter, server, m.get(ENTROPY_EVENT_FAILS));
    }

    /** One request, counted; -1 when throttled (the limiter's timer resumes the queue). */
    private long serveCounted(DescriptorChain c) {
        m.get(ENTROPY_EVENT_COUNT).inc();
        long n = serve(c, transport.memory());
        if (n < 0) {
            m.get(ENTROPY_RATE_LIMITER_THROTTLED).inc();
        } else {
            m.get(ENTROPY_BYTES).add(n);
        }
        return n;
    }

    /** Fills the chain's writable buffers; returns the bytes written, or -1 when throttled. */
    private long serve(DescriptorChain c, GuestMemory mem) {
        if (c.readableBytes() != 0 || c.readableCount() != 0) {
            m.get(ENTROPY_EVENT_FAILS).inc(); // an entropy request carries nothing for the device to read
            return 0;
        }
        long want = Math.min(c.writableBytes(), MAX_REQUEST_BYTES);
        if (want == 0) {
            return 0;
        }
        if (!limiter.consume(want, 1)) {
            return -1;
        }
        long done = 0;
        for (int i = c.readableCount(); i < c.count() && done < want; i++) {
            long len = Math.min(c.length(i), want - done);
            if (len == 0) {
                continue;
            }
            long host = mem.hostAddress(c.address(i), len);
            long got = fill(host, len);
            done += got;
            if (got < len) {
                break; // the host refused: the guest gets the bytes that are random
            }
        }
        return done;
    }

    /** getrandom(2) into {@code [host, host+len)}; returns the bytes filled (fewer on failure). */
    private long fill(long host, long len) {
        long done = 0;
        while (done < len) {
            long rc = Native.LIBC.getrandom(host + done, len - done, LibC.GRND_NONBLOCK);
            if (rc > 0) {
                done += rc;
                continue;
            }
            int errno = rc < 0 ? Native.errno() : 0;
            if (errno == LibC.EINTR) {
                continue;
            }
            m.get(HOST_RNG_FAILS).inc();
            m.get(ENTROPY_EVENT_FAILS).inc();
            if (loggedHostFailures < 10) {
                loggedHostFailures++;
                LOG.log(Level.WARNING, "entropy: getrandom failed: {0}", errno == 0 ? "returned 0" : Native.LIBC.strerror(errno));
            }
            break;
        }
        return done;
    }

    @Override
    public void close() {
        limiter.close();
    }
}
