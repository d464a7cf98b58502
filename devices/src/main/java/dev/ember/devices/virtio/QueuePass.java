package dev.ember.devices.virtio;

import dev.ember.devices.ratelimit.RateLimiter;
import dev.ember.memory.GuestMemoryException;

/**
 * One pass over a virtqueue, the request loop every device shares: pop a chain, let the
 * device's {@link Server} serve it, return it in the used ring; when the ring is empty
 * re-enable notifications and look again (closing the race with a driver that adds a chain
 * meanwhile); one interrupt for the lot. A chain the server cannot take now (rate limited,
 * nothing to send) goes back to the ring and ends the pass. A malformed chain or a
 * guest-memory fault is the driver's error: counted, DEVICE_NEEDS_RESET, the pass ends.
 *
 * <p>Allocates nothing: servers are objects the device creates once (a method reference held
 * in a field), never a lambda per pass. Event-loop thread.
 */
public final class QueuePass {
    /**
     * What {@link Server#serve} returns when it cannot serve the chain now (the rate limiter
     * refused it, or there is nothing to put in it): the chain goes back to the ring.
     */
    public static final long PUT_BACK = -1;
    /** What {@link Server#serve} returns when the chain completes later (an Async block request). */
    public static final long IN_FLIGHT = -2;

    /**
     * Serves one chain: the bytes written into it, {@link #PUT_BACK}, or {@link #IN_FLIGHT}
     * (the server adds the used-ring entry itself when it completes).
     *
     * @throws VirtqueueException when the chain's layout is not a request of this queue
     */
    @FunctionalInterface
    public interface Server {
        long serve(DescriptorChain chain);

        /**
         * False while the server can take no more chains (a full io_uring: its completions
         * resume the queue; vsock with nothing owed to the guest): the pass stops popping and
         * leaves notifications as they are.
         */
        default boolean accepting() {
            return true;
        }
    }

    /**
     * Firecracker's backlog counters of one queue, created once with the device: after each pop,
     * the chains still waiting in the ring are added to {@code remaining} (block
     * {@code remaining_reqs_count}, net {@code tx_remaining_reqs_count}); a pass that returned no
     * chain to the used ring counts one {@code idle} (block {@code no_avail_buffer}, net
     * {@code no_tx_avail_buffer}): a notification that found the ring already served, or a pass
     * the rate limiter stopped before its first chain. A chain in flight is not returned yet.
     * Either may be null (not counted).
     */
    public record Backlog(DeviceCounter remaining, DeviceCounter idle) {}

    private QueuePass() {}

    /**
     * A pass over queue {@code queueIndex} without a rate limiter.
     *
     * @param t        the device's transport: null (not activated, or reset) or broken (the driver's
     *                 error is pending) means there is nothing to serve
     * @param failures counted for each driver error (null: the transport's device_errors only)
     */
    public static void serve(VirtioTransport t, int queueIndex, DescriptorChain chain, Server server, DeviceCounter failures) {
        serve(t, queueIndex, chain, null, server, failures);
    }

    /**
     * A pass that also stops while {@code limiter} is blocked (its timer resumes the queue).
     *
     * @param t        the device's transport: null (not activated, or reset) or broken (the driver's
     *                 error is pending) means there is nothing to serve
     * @param limiter  null for none
     * @param failures counted for each driver error (null: the transport's device_errors only)
     * @return true when the limiter stopped the pass (the queue waits for its timer)
     */
    public static boolean serve(VirtioTransport t, int queueIndex, DescriptorChain chain, RateLimiter limiter, Server server,
            DeviceCounter failures) {
        return serve(t, queueIndex, chain, limiter, server, failures, null);
    }

    /**
     * A pass that also keeps Firecracker's backlog counters.
     *
     * @param backlog null for none
     * @return true when the limiter stopped the pass (the queue waits for its timer)
     */
    public static boolean serve(VirtioTransport t, int queueIndex, DescriptorChain chain, RateLimiter limiter, Server server,
            DeviceCounter failures, Backlog backlog) {
        if (t == null || t.broken()) {
            return false;
        }
        SplitQueue q = t.queue(queueIndex);
        boolean used = false;
        boolean putBack = false;
        try {
            do {
                while (accepting(limiter, server) && q.pop(chain)) {
                    if (backlog != null) {
                        backlog.remaining().add(q.pending());
                    }
                    long written = server.serve(chain);
                    if (written == IN_FLIGHT) {
                        continue;
                    }
                    if (written < 0) {
                        q.undoPop();
                        putBack = true;
                        break;
                    }
                    q.addUsed(chain.head(), written);
                    used = true;
                }
                // A server that stopped accepting leaves notifications off: what resumes it
                // (a completion, a host socket with data) starts another pass.
            } while (!putBack && accepting(limiter, server) && q.enableNotifications());
            if (!used && backlog != null && backlog.idle() != null) {
                backlog.idle().inc();
            }
        } catch (VirtqueueException | GuestMemoryException e) {
            driverError(t, e, failures);
        }
        if (used) {
            t.notifyUsed(q);
        }
        return limiter != null && limiter.blocked();
    }

    private static boolean accepting(RateLimiter limiter, Server server) {
        return (limiter == null || !limiter.blocked()) && server.accepting();
    }

    /**
     * What a device's own queue code caught from the ring or guest memory: counted under
     * {@code failures} (may be null), DEVICE_NEEDS_RESET through the transport.
     *
     * @param e a {@link VirtqueueException} or a {@link GuestMemoryException}
     */
    public static void driverError(VirtioTransport t, RuntimeException e, DeviceCounter failures) {
        if (failures != null) {
            failures.inc();
        }
        if (e instanceof VirtqueueException v) {
            t.deviceError(v);
        } else if (e instanceof GuestMemoryException g) {
            t.deviceError(g);
        } else {
            throw e;
        }
    }
}
