package dev.ember.api;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.xnio.ManagementRegistration;
import org.xnio.Xnio;
import org.xnio.XnioIoThread;
import org.xnio.XnioWorker;
import org.xnio.management.XnioServerMXBean;
import org.xnio.management.XnioWorkerMXBean;

/**
 * The XNIO worker Undertow runs on: one {@link ApiIoThread} and a task pool whose thread starts
 * only if Undertow ever dispatches to the worker (the API dispatches to its own controller
 * thread). Registers no MBeans: XNIO's NIO provider does, and that starts the platform MBean
 * server (JMX and JFR providers), the largest single cost of API start-up it replaced.
 */
final class ApiWorker extends XnioWorker {
    private final ApiIoThread ioThread;
    private final ExecutorService taskPool;

    private ApiWorker(Builder builder, ExecutorService taskPool, String name) {
        super(builder);
        this.taskPool = taskPool;
        this.ioThread = new ApiIoThread(this, name);
    }

    /** A started worker whose threads are named after {@code name}. */
    static ApiWorker start(String name) {
        ExecutorService pool = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name + "-task");
            t.setDaemon(true);
            return t;
        });
        Builder builder = Provider.INSTANCE.createWorkerBuilder()
                .setWorkerName(name)
                .setDaemon(true)
                .setExternalExecutorService(pool);
        ApiWorker worker = new ApiWorker(builder, pool, name);
        worker.ioThread.start();
        return worker;
    }

    @Override
    protected XnioIoThread chooseThread() {
        return ioThread;
    }

    @Override
    public XnioIoThread getIoThread(int hashCode) {
        return ioThread;
    }

    @Override
    public int getIoThreadCount() {
        return 1;
    }

    @Override
    public void shutdown() {
        ioThread.shutdown();
        taskPool.shutdown();
    }

    @Override
    public List<Runnable> shutdownNow() {
        ioThread.shutdown();
        return taskPool.shutdownNow();
    }

    @Override
    public boolean isShutdown() {
        return taskPool.isShutdown();
    }

    @Override
    public boolean isTerminated() {
        return taskPool.isTerminated() && !ioThread.isAlive();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        if (!taskPool.awaitTermination(timeout, unit)) {
            return false;
        }
        long left = deadline - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.timedJoin(ioThread, left);
        }
        return !ioThread.isAlive();
    }

    @Override
    public void awaitTermination() throws InterruptedException {
        while (!taskPool.awaitTermination(1, TimeUnit.DAYS)) {
            // Wait on.
        }
        ioThread.join();
    }

    /** Nothing is registered with JMX: there is no management view of this worker. */
    @Override
    public XnioWorkerMXBean getMXBean() {
        return null;
    }

    @Override
    protected ManagementRegistration registerServerMXBean(XnioServerMXBean metrics) {
        return () -> { };
    }

    /** The XNIO provider object a worker belongs to; it creates no workers of its own. */
    private static final class Provider extends Xnio {
        static final Provider INSTANCE = new Provider();

        private Provider() {
            super("ember");
        }

        @Override
        protected XnioWorker build(Builder builder) {
            throw new UnsupportedOperationException("API workers are made by ApiWorker.start");
        }
    }
}
