package dev.ember.app;

/**
 * The hand-over that what is built ahead of a start ({@link VmShellAhead}, {@link BootAhead})
 * goes through: one thread builds, and the start takes what was built, waiting out a build in
 * progress; from then on nothing more is built. A stop closes what nobody took, and a build
 * still running when it comes closes its own result when done.
 *
 * <p>The state is guarded by this object, on which subclasses also wait for their own
 * conditions: {@link #takeBuilt} and {@link #close} wake them.
 */
abstract class AheadHolder<T> {
    /** What was built and not yet taken; guarded by this. */
    T built;
    /** A build is running (on the building thread, outside the lock); guarded by this. */
    boolean building;
    /** Nothing more is built: a start took (or passed over) the build, or the VMM is stopping. */
    boolean over;
    /** The VMM is stopping: a build still running is closed when done, not kept. */
    boolean closed;

    /** Closes something built that nobody will take. */
    abstract void discard(T unused);

    /**
     * Ends the build at hand with {@code result} (null when it failed): kept for a start, or
     * closed if the VMM began stopping meanwhile. In a {@code finally}: a start waiting in
     * {@link #takeBuilt} must not wait for a build that ended, even by an Error.
     */
    final synchronized void buildEnded(T result) {
        building = false;
        if (closed && result != null) {
            discard(result);
            result = null;
        }
        built = result;
        notifyAll();
    }

    /**
     * For the start: ends building (a thread waiting for more to build returns) and hands over
     * what was built, waiting for a build in progress; null when nothing was. An interrupt does
     * not cut the wait short: it is kept for the caller.
     */
    final T takeBuilt() {
        T b;
        boolean interrupted = false;
        synchronized (this) {
            over = true;
            notifyAll();
            while (building) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            b = built;
            built = null;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return b;
    }

    /** Closes what was built and not taken; a build still running closes its own when done. */
    final void close() {
        T unused;
        synchronized (this) {
            over = true;
            closed = true;
            unused = built;
            built = null;
            notifyAll();
        }
        if (unused != null) {
            discard(unused);
        }
    }
}
