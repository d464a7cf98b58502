package dev.ember.devices.ratelimit;

import dev.ember.eventloop.EventLoop;
import dev.ember.eventloop.ThreadConfinement;
import dev.ember.eventloop.TimerFd;
import dev.ember.sys.LibC;

/**
 * Firecracker's rate limiter: a bandwidth bucket (bytes) and an operations bucket, either
 * optional. A device asks {@link #consume} before serving a request; when refused, the limiter
 * arms a timerfd for the moment enough tokens will have accrued and the device stops serving
 * the queue. When the timer fires on the event loop the limiter unblocks and calls the device's
 * resume callback — no polling, no busy waiting.
 *
 * <p>Confined to the event-loop thread once attached (checked under {@link ThreadConfinement}):
 * another thread that wants new buckets posts {@link #update} to the loop itself.
 */
public final class RateLimiter implements AutoCloseable {
    /** Shortest timer we arm; shorter waits would only burn wake-ups. */
    private static final long MIN_WAIT_NANOS = 1_000_000L;

    private TokenBucket bandwidth;
    private TokenBucket ops;
    private TimerFd timer;
    private EventLoop loop;
    private Runnable onUnblocked;
    private boolean blocked;
    private volatile long throttledEvents; // written on the loop only, read by metrics and tests

    public RateLimiter(TokenBucketConfig bandwidth, TokenBucketConfig ops) {
        long now = System.nanoTime();
        this.bandwidth = bandwidth != null && bandwidth.enabled() ? new TokenBucket(bandwidth, now) : null;
        this.ops = ops != null && ops.enabled() ? new TokenBucket(ops, now) : null;
    }

    /** A limiter that admits everything (still updatable later). */
    public static RateLimiter unlimited() {
        return new RateLimiter(null, null);
    }

    /**
     * Registers the limiter's timer on {@code loop}; {@code onUnblocked} runs on the loop when a
     * throttled device may try again.
     */
    public void attach(EventLoop eventLoop, Runnable resume) {
        if (this.loop != null) {
            throw new IllegalStateException("rate limiter is already attached to an event loop");
        }
        this.loop = eventLoop;
        this.onUnblocked = resume;
        this.timer = new TimerFd();
        eventLoop.register(timer.fd(), LibC.EPOLLIN, events -> onTimer());
    }

    public boolean limited() {
        return bandwidth != null || ops != null;
    }

    /**
     * Takes {@code bytes} from the bandwidth bucket and {@code operations} from the ops bucket,
     * both or neither.
     *
     * @return false if throttled; the caller must stop and wait for its resume callback
     */
    public boolean consume(long bytes, long operations) {
        ThreadConfinement.requireLoop(loop, "RateLimiter.consume");
        if (blocked) {
            return false;
        }
        if (bandwidth == null && ops == null) {
            return true;
        }
        long now = System.nanoTime();
        boolean bwOk = bandwidth == null || bytes == 0 || bandwidth.canConsume(bytes, now);
        boolean opsOk = ops == null || operations == 0 || ops.canConsume(operations, now);
        if (bwOk && opsOk) {
            if (bandwidth != null && bytes != 0) {
                bandwidth.consume(bytes);
            }
            if (ops != null && operations != 0) {
                ops.consume(operations);
            }
            return true;
        }
        long wait = 0;
        if (!bwOk) {
            wait = bandwidth.nanosUntil(bytes, now);
        }
        if (!opsOk) {
            wait = Math.max(wait, ops.nanosUntil(operations, now));
        }
        block(Math.max(wait, MIN_WAIT_NANOS));
        return false;
    }

    private void block(long nanos) {
        blocked = true;
        throttledEvents++;
        if (timer == null) {
            throw new IllegalStateException("rate limiter throttled before attach(): no timer to resume from");
        }
        timer.arm(nanos, 0);
    }

    private void onTimer() {
        ThreadConfinement.requireLoop(loop, "RateLimiter.onTimer");
        timer.read();
        if (!blocked) {
            return;
        }
        blocked = false;
        if (onUnblocked != null) {
            onUnblocked.run();
        }
    }

    public boolean blocked() {
        return blocked;
    }

    /** How often a request was refused (Firecracker's *_rate_limiter_throttled metric). */
    public long throttledEvents() {
        return throttledEvents;
    }

    /**
     * Replaces the buckets at run time (the PATCH API). A null config leaves that bucket as it
     * is; a config with size or refill time 0 removes the limit. A throttled device is resumed so
     * it re-evaluates against the new buckets. Event-loop thread only (before attach: any thread).
     */
    public void update(TokenBucketConfig newBandwidth, TokenBucketConfig newOps) {
        ThreadConfinement.requireLoop(loop, "RateLimiter.update");
        long now = System.nanoTime();
        if (newBandwidth != null) {
            bandwidth = newBandwidth.enabled() ? new TokenBucket(newBandwidth, now) : null;
        }
        if (newOps != null) {
            ops = newOps.enabled() ? new TokenBucket(newOps, now) : null;
        }
        if (blocked) {
            timer.disarm();
            blocked = false;
            if (onUnblocked != null) {
                onUnblocked.run();
            }
        }
    }

    TokenBucket bandwidthBucket() {
        return bandwidth;
    }

    TokenBucket opsBucket() {
        return ops;
    }

    @Override
    public void close() {
        if (timer != null) {
            loop.unregister(timer.fd());
            timer.close();
        }
    }
}
