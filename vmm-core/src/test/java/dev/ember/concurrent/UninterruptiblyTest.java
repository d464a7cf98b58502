package dev.ember.concurrent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class UninterruptiblyTest {
    /** What the waiting thread saw when its wait returned: the latch's count and its interrupt flag. */
    private record Seen(long count, boolean interrupted) {}

    @Test
    void anInterruptDoesNotEndTheLatchWaitAndIsKeptForTheCaller() throws Exception {
        CountDownLatch latch = new CountDownLatch(1);
        CountDownLatch waiting = new CountDownLatch(1);
        AtomicReference<Seen> seen = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            waiting.countDown();
            Uninterruptibly.await(latch);
            seen.set(new Seen(latch.getCount(), Thread.currentThread().isInterrupted()));
        });
        waiter.start();
        waiting.await();
        awaitState(waiter, Thread.State.WAITING);
        waiter.interrupt();
        // The interrupt is taken and the wait resumed: the thread parks again.
        awaitState(waiter, Thread.State.WAITING);
        assertTrue(waiter.isAlive());
        latch.countDown();
        waiter.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(waiter.isAlive());
        assertEquals(new Seen(0, true), seen.get());
    }

    @Test
    void anInterruptDoesNotEndTheJoinAndIsKeptForTheCaller() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Thread worker = new Thread(() -> Uninterruptibly.await(release));
        worker.start();
        AtomicReference<Seen> seen = new AtomicReference<>();
        Thread joiner = new Thread(() -> {
            Uninterruptibly.join(worker);
            seen.set(new Seen(worker.isAlive() ? 1 : 0, Thread.currentThread().isInterrupted()));
        });
        joiner.start();
        awaitState(joiner, Thread.State.WAITING);
        joiner.interrupt();
        awaitState(joiner, Thread.State.WAITING);
        assertTrue(joiner.isAlive());
        release.countDown();
        joiner.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(joiner.isAlive());
        assertEquals(new Seen(0, true), seen.get());
    }

    @Test
    void anInterruptBeforeTheWaitIsKeptToo() {
        CountDownLatch open = new CountDownLatch(0);
        Thread.currentThread().interrupt();
        try {
            Uninterruptibly.await(open);
            assertTrue(Thread.currentThread().isInterrupted());
        } finally {
            Thread.interrupted();
        }
    }

    /** Polls (bounded) until {@code t} is in {@code state}; the interrupt is sent only once it waits. */
    private static void awaitState(Thread t, Thread.State state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (t.getState() != state) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(t.getName() + " is " + t.getState() + ", expected " + state);
            }
            Thread.sleep(1);
        }
    }
}
