package dev.ember.devices.virtio;

import dev.ember.devices.ratelimit.RateLimiter;
import dev.ember.memory.GuestMemoryException;

/**
 * The request loop of a device whose requests pass a {@link RateLimiter} (block, entropy):
 * serve chains until the queue is empty or the limiter refuses one (that chain is put back for
 * the limiter's timer to resume), re-enable notifications and look again, raise one interrupt
 * for the lot. A malformed chain or a guest-memory fault is the driver's error: counted,
 * DEVICE_NEEDS_RESET. Allocates nothing. Event-loop thread.
 */
public final class RateLimitedQueue {
    /** Serves one chain: the bytes written into it, or -1 when the rate limiter refused it. */
    @FunctionalInterface
    public interface Server {
        long serve(DescriptorChain chain);
    }

    private RateLimitedQueue() {}

    /**
     * @param failures counted for each driver error
     * @return true when the limiter stopped the pass (the queue waits for its timer)
     */
    public static boolean serve(VirtioTransport t, SplitQueue q, DescriptorChain chain, RateLimiter limiter, Server server,
            DeviceCounter failures) {
        boolean used = false;
        try {
            do {
                while (!limiter.blocked() && q.pop(chain)) {
                    long written = server.serve(chain);
                    if (written < 0) {
                        q.undoPop();
                        break;
                    }
                    q.addUsed(chain.head(), written);
                    used = true;
                }
            } while (!limiter.blocked() && q.enableNotifications());
        } catch (VirtqueueException e) {
            failures.inc();
            t.deviceError(e);
        } catch (GuestMemoryException e) {
            failures.inc();
            t.deviceError(e);
        }
        if (used) {
            t.notifyUsed(q);
        }
        return limiter.blocked();
    }
}
