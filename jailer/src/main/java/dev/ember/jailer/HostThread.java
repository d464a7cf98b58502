package dev.ember.jailer;

/**
 * A thread started while the jailer thread still sees the host's file system (see {@link Jail}),
 * kept waiting to undo a failed jail from there. A monitor and a field, not an executor: the
 * jailer runs one task on it at most, and an executor's classes (a queue, futures, a thread
 * pool) are loaded by every start for nothing.
 */
final class HostThread {
    private final Thread thread;
    /** Guarded by this: the task handed over, and whether it has run. */
    private Runnable task;
    private boolean done;

    private HostThread(String name) {
        thread = new Thread(this::serve, name);
        thread.setDaemon(true);
    }

    /** Starts the thread now, before the jailer thread leaves the host. */
    static HostThread start(String name) {
        HostThread h = new HostThread(name);
        h.thread.start();
        return h;
    }

    private void serve() {
        Runnable r;
        synchronized (this) {
            while (task == null) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    return;   // stopped: nothing to undo
                }
            }
            r = task;
        }
        try {
            r.run();
        } finally {
            synchronized (this) {
                done = true;
                notifyAll();
            }
        }
    }

    /** Runs {@code r} on the host thread and waits for it up to {@code timeoutMs}; false when it did not finish in time. */
    synchronized boolean run(Runnable r, long timeoutMs) throws InterruptedException {
        task = r;
        notifyAll();
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (!done) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    /** Ends the thread if it is still waiting for a task. */
    void stop() {
        thread.interrupt();
    }
}
