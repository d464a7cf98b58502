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
    /** What {@link Server#serve} returns when the rate limiter refused the chain. */
    public static final long THROTTLED = -1;
    /** What {@link Server#serve} returns when the chain completes later (an Async block request). */
    public static final long IN_FLIGHT = -2;

    /**
     * Serves one chain: the bytes written into it, {@link #THROTTLED}, or {@link #IN_FLIGHT}
     * (the server adds the used-ring entry itself when it completes).
     */
    @FunctionalInterface
    public interface Server {
        long serve(DescriptorChain chain);

        /** True while the server can take no more chains (a full io_uring); completions resume it. */
        default boolean full() {
            return false;
        }
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
                while (!limiter.blocked() && !server.full() && q.pop(chain)) {
                    long written = server.serve(chain);
                    if (written == IN_FLIGHT) {
                        continue;
                    }
                    if (written < 0) {
                        q.undoPop();
                        break;
                    }
                    q.addUsed(chain.head(), written);
                    used = true;
                }
                // A full server leaves notifications off: its next completion starts another pass.
            } while (!limiter.blocked() && !server.full() && q.enableNotifications());
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
