package dev.ember.api;

import dev.ember.log.Log;
import dev.ember.log.RateLimitedLog;
import java.util.ArrayDeque;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;

/**
 * The API's one XNIO I/O thread: runs tasks in submission order and timed tasks (Undertow's
 * request and idle timeouts, lingering closes) when due, and between them waits in the
 * {@link UnixPoller}'s selector once one is attached: readiness and accepts are handled on this
 * thread, as QEMU's main loop answers QMP, so a request costs one wake-up, not a hand-off from
 * a selector thread and a wake-up of that thread again for every interest change (bench/README.md:
 * {@code GET /} p50 ×1.2 → ×1.0 of QMP's). XNIO's NIO provider would also work but registers
 * MBeans (starting the platform MBean server, ~100 ms of CPU at start-up).
 *
 * <p>Bounds: the queues hold what Undertow and the conduits put there for open connections
 * (bounded by {@link ApiLimits}); a cancelled timed task leaves the queue at once.
 */
final class ApiIoThread extends XnioIoThread {
    private static final System.Logger LOG = Log.logger(ApiIoThread.class);
    private static final RateLimitedLog TASK_FAILED = new RateLimitedLog(LOG, 1, 10_000);

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    // Guarded by lock.
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private final TreeSet<Timed> timers = new TreeSet<>();
    private long timerSeq;
    private boolean stopping;
    /** The selector this thread waits in between tasks; null: waits on {@link #wake} alone. Set once, before serving. */
    private volatile UnixPoller poller;
    /** Guarded by lock: this thread is in (or about to enter) the poller's select, so a new task must wake the selector. */
    private boolean selecting;

    ApiIoThread(ApiWorker worker, String name) {
        super(worker, 0, name);
        setDaemon(true);
    }

    @Override
    public void execute(Runnable command) {
        lock.lock();
        try {
            if (stopping) {
                throw new java.util.concurrent.RejectedExecutionException("the API I/O thread has stopped");
            }
            tasks.add(command);
            wakeLocked();
        } finally {
            lock.unlock();
        }
    }

    /** Under lock: wakes this thread from whichever wait it is in. */
    private void wakeLocked() {
        if (Thread.currentThread() == this) {
            return; // queued by this thread itself (a readiness handler): its loop runs it next
        }
        if (selecting) {
            selecting = false;
            poller.wakeup();
        } else {
            wake.signal();
        }
    }

    /**
     * From now on this thread waits in {@code p}'s selector between tasks and handles its
     * readiness (call before the first connection is accepted).
     */
    void attach(UnixPoller p) {
        lock.lock();
        try {
            poller = p;
            wake.signal();
        } finally {
            lock.unlock();
        }
    }

    /** True when called on this thread. */
    boolean isCurrent() {
        return Thread.currentThread() == this;
    }

    @Override
    public XnioExecutor.Key executeAfter(Runnable command, long time, TimeUnit unit) {
        return schedule(command, unit.toNanos(Math.max(0, time)), 0);
    }

    @Override
    public XnioExecutor.Key executeAtInterval(Runnable command, long time, TimeUnit unit) {
        return schedule(command, unit.toNanos(Math.max(0, time)), Math.max(1, unit.toNanos(time)));
    }

    private Timed schedule(Runnable command, long delayNanos, long periodNanos) {
        lock.lock();
        try {
            if (stopping) {
                throw new java.util.concurrent.RejectedExecutionException("the API I/O thread has stopped");
            }
            Timed t = new Timed(command, System.nanoTime() + delayNanos, periodNanos, timerSeq++);
            timers.add(t);
            if (timers.first() == t) {
                wakeLocked();
            }
            return t;
        } finally {
            lock.unlock();
        }
    }

    /** Runs what is queued, then ends; timed tasks not yet due are dropped. */
    void shutdown() {
        lock.lock();
        try {
            stopping = true;
            timers.clear();
            wakeLocked();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void run() {
        while (true) {
            Runnable next;
            lock.lock();
            try {
                next = nextTask();
                if (next == null) {
                    return;
                }
            } finally {
                lock.unlock();
            }
            try {
                next.run();
            } catch (Throwable e) {
                TASK_FAILED.log(System.Logger.Level.WARNING, () -> "API I/O task failed: " + e);
            }
        }
    }

    /** Under lock: the next task to run, waiting for one; null once stopped and drained. */
    private Runnable nextTask() {
        while (true) {
            Runnable task = tasks.poll();
            if (task != null) {
                return task;
            }
            if (stopping) {
                return null;
            }
            long waitNanos = Long.MAX_VALUE;
            if (!timers.isEmpty()) {
                Timed first = timers.first();
                long now = System.nanoTime();
                if (first.deadline - now <= 0) {
                    timers.pollFirst();
                    if (first.period > 0) {
                        timers.add(first.next(timerSeq++));
                    }
                    return first.command;
                }
                waitNanos = first.deadline - now;
            }
            UnixPoller p = poller;
            if (p != null && !p.running()) {
                poller = null; // stopped: its selector is released here, and this thread waits on tasks alone
                p.closeSelector();
                continue;
            }
            if (p != null) {
                selecting = true;
                lock.unlock();
                try {
                    p.pollOnce(waitNanos);
                } finally {
                    lock.lock();
                    selecting = false;
                }
                continue;
            }
            try {
                wake.awaitNanos(waitNanos);
            } catch (InterruptedException e) {
                // Only shutdown() ends this thread.
            }
        }
    }

    /** A timed task; also its cancellation key. An interval task is re-queued as a new entry that shares the key. */
    private final class Timed implements XnioExecutor.Key, Comparable<Timed> {
        final Runnable command;
        final long deadline;
        final long period;
        final long seq;
        /** The entry that currently stands for this key in {@link #timers} (interval tasks move on). */
        private Timed current = this;
        private final Timed origin;

        Timed(Runnable command, long deadline, long period, long seq) {
            this(command, deadline, period, seq, null);
        }

        private Timed(Runnable command, long deadline, long period, long seq, Timed origin) {
            this.command = command;
            this.deadline = deadline;
            this.period = period;
            this.seq = seq;
            this.origin = origin == null ? this : origin;
        }

        /** Under lock. */
        Timed next(long nextSeq) {
            Timed n = new Timed(command, deadline + period, period, nextSeq, origin);
            origin.current = n;
            return n;
        }

        @Override
        public boolean remove() {
            lock.lock();
            try {
                return timers.remove(origin.current);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public int compareTo(Timed o) {
            int c = Long.compare(deadline - o.deadline, 0);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }
}
