package dev.ember.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;

/** The API's XNIO worker: Undertow's tasks and timeouts run on its one I/O thread, in order, and cancel. */
class ApiWorkerTest {
    private final ApiWorker worker = ApiWorker.start("test-api-io");

    @AfterEach
    void stop() throws InterruptedException {
        worker.shutdown();
        assertTrue(worker.awaitTermination(10, TimeUnit.SECONDS));
    }

    @Test
    void tasksRunInOrderOnTheIoThread() throws Exception {
        XnioIoThread io = worker.getIoThread();
        List<Integer> order = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        for (int i = 0; i < 100; i++) {
            int n = i;
            io.execute(() -> {
                assertSame(io, Thread.currentThread());
                order.add(n);
            });
        }
        io.execute(done::countDown);
        assertTrue(done.await(10, TimeUnit.SECONDS));
        for (int i = 0; i < 100; i++) {
            assertEquals(i, order.get(i));
        }
        assertSame(worker, io.getWorker());
    }

    @Test
    void aRemovedTimeoutNeverRunsAndADueOneRunsOnce() throws Exception {
        XnioIoThread io = worker.getIoThread();
        AtomicInteger cancelledRuns = new AtomicInteger();
        XnioExecutor.Key cancelled = io.executeAfter(cancelledRuns::incrementAndGet, 200, TimeUnit.MILLISECONDS);
        assertTrue(cancelled.remove());
        assertFalse(cancelled.remove(), "already removed");
        AtomicInteger dueRuns = new AtomicInteger();
        CountDownLatch due = new CountDownLatch(1);
        XnioExecutor.Key key = io.executeAfter(() -> {
            dueRuns.incrementAndGet();
            due.countDown();
        }, 300, TimeUnit.MILLISECONDS);
        assertTrue(due.await(10, TimeUnit.SECONDS));
        assertFalse(key.remove(), "it ran already");
        // A marker queued after both deadlines: the cancelled task's would long have passed.
        CountDownLatch later = new CountDownLatch(1);
        io.executeAfter(later::countDown, 50, TimeUnit.MILLISECONDS);
        assertTrue(later.await(10, TimeUnit.SECONDS));
        assertEquals(0, cancelledRuns.get());
        assertEquals(1, dueRuns.get());
    }

    @Test
    void anIntervalTaskRepeatsUntilRemoved() throws Exception {
        XnioIoThread io = worker.getIoThread();
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch three = new CountDownLatch(3);
        XnioExecutor.Key key = io.executeAtInterval(() -> {
            runs.incrementAndGet();
            three.countDown();
        }, 5, TimeUnit.MILLISECONDS);
        assertTrue(three.await(10, TimeUnit.SECONDS));
        CountDownLatch removed = new CountDownLatch(1);
        io.execute(() -> {
            assertTrue(key.remove());
            removed.countDown();
        });
        assertTrue(removed.await(10, TimeUnit.SECONDS));
        int atRemoval = runs.get();
        CountDownLatch later = new CountDownLatch(1);
        io.executeAfter(later::countDown, 50, TimeUnit.MILLISECONDS);
        assertTrue(later.await(10, TimeUnit.SECONDS));
        assertEquals(atRemoval, runs.get());
    }

    @Test
    void aFailingTaskDoesNotStopTheThread() throws Exception {
        XnioIoThread io = worker.getIoThread();
        io.execute(() -> {
            throw new IllegalStateException("boom");
        });
        CountDownLatch after = new CountDownLatch(1);
        io.execute(after::countDown);
        assertTrue(after.await(10, TimeUnit.SECONDS));
    }
}
