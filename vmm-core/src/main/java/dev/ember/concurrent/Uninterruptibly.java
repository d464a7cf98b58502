package dev.ember.concurrent;

import java.util.concurrent.CountDownLatch;

/**
 * Waits the caller must see to the end whatever happens: its next step needs what it waits for.
 * An interrupt does not end the wait; it is remembered and set again on return, so the thread's
 * owner still sees it.
 */
public final class Uninterruptibly {
    private Uninterruptibly() {}

    /** Until {@code latch} reaches zero. */
    public static void await(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Until {@code thread} has ended. */
    public static void join(Thread thread) {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
