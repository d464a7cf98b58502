package dev.ember.eventloop;

/**
 * Checks, at the entry of event-loop-confined code (virtqueues, a device's queue and backend
 * state, rate limiters), that the caller is the loop's thread. The rule used to live only in
 * Javadoc; a call from a vCPU or API thread raced the loop silently.
 *
 * <p>On when assertions are enabled ({@code -ea}: surefire and failsafe turn them on for every
 * test JVM) or with {@code -Dember.threadChecks=true}; {@link #ENABLED} is a constant, so in a
 * production VMM the JIT drops the checks and the hot paths stay as they were. A check passes
 * before the loop is started: until then the thread building the machine owns everything.
 */
public final class ThreadConfinement {
    /** Whether the checks run in this JVM. */
    public static final boolean ENABLED = enabled();

    private ThreadConfinement() {}

    @SuppressWarnings({"AssertWithSideEffects", "checkstyle:InnerAssignment"})
    private static boolean enabled() {
        boolean assertions = false;
        assert assertions = true; // true only under -ea
        return assertions || Boolean.getBoolean("ember.threadChecks");
    }

    /**
     * Throws {@link IllegalStateException} naming {@code what} when checks are on, {@code loop}
     * is running and the current thread is not its thread. Allocates nothing when the check passes.
     */
    public static void requireLoop(EventLoop loop, String what) {
        if (ENABLED && loop != null && !loop.ownsCurrentThread()) {
            throw new IllegalStateException(what + " is confined to the event loop (thread " + loop.threadName()
                    + ") but was called on thread " + Thread.currentThread().getName());
        }
    }
}
