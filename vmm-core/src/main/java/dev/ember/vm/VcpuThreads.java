package dev.ember.vm;

import dev.ember.bus.Bus;
import dev.ember.kvm.VcpuFd;
import dev.ember.log.Log;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The VM's vCPU threads and their run state: started together (or ahead, then released by
 * {@link #start}), parked while paused, stopped for good once the VM exits. Any thread, except
 * the methods under "called by vCPU threads", which each {@link Vcpu} calls on its own.
 */
final class VcpuThreads {
    private static final Logger LOG = Log.logger(VcpuThreads.class);

    private final Vcpu[] vcpus;
    private final Object lock = new Object();
    private volatile boolean pauseRequested;
    private volatile boolean stopRequested;
    /** vCPU threads started and not yet finished; guarded by lock. */
    private int activeVcpus;
    /** vCPU threads parked in {@link #parkWhilePaused} or {@link #awaitStart}; guarded by lock. */
    private int parkedVcpus;
    /** Guarded by lock. */
    private boolean started;
    /** {@link #prepare} started the vCPU threads, which wait for {@link #start}; guarded by lock. */
    private boolean threadsPrepared;
    /** The vCPUs were given a boot or snapshot state; guarded by lock. */
    private boolean stateLoaded;
    private final AtomicLong firstKvmRunNanos = new AtomicLong();

    VcpuThreads(Vm vm, VcpuFd[] fds, Bus pio, Bus mmio) {
        this.vcpus = new Vcpu[fds.length];
        for (int i = 0; i < fds.length; i++) {
            vcpus[i] = new Vcpu(vm, this, fds[i], pio, mmio);
        }
    }

    /** The vCPUs in id order: this object's own array, which callers only read. */
    Vcpu[] vcpus() {
        return vcpus;
    }

    int count() {
        return vcpus.length;
    }

    Vcpu vcpu(int id) {
        return vcpus[id];
    }

    /** @throws IllegalStateException once {@link #start} was called, naming {@code what} */
    void requireNotStarted(String what) {
        synchronized (lock) {
            if (started) {
                throw new IllegalStateException(what + " must be called before start");
            }
        }
    }

    /** Every vCPU has its boot state or a snapshot's: {@link #start} need not warn. */
    void stateLoaded() {
        synchronized (lock) {
            stateLoaded = true;
        }
    }

    /** True before {@link #start}, or while paused with every vCPU parked: no register changes under a reader. */
    boolean quiescent() {
        synchronized (lock) {
            return !started || (pauseRequested && parkedVcpus >= activeVcpus);
        }
    }

    /** See {@link Vm#start}. */
    void start() {
        synchronized (lock) {
            if (started) {
                throw new IllegalStateException("VM already started");
            }
            if (!stateLoaded) {
                LOG.log(Level.WARNING, "starting vCPUs without configureBoot: they run from the reset state");
            }
            started = true;
            if (threadsPrepared) {
                lock.notifyAll(); // the threads waiting in awaitStart
                return;
            }
            activeVcpus = vcpus.length;
        }
        for (Vcpu v : vcpus) {
            v.start();
        }
    }

    /** See {@link Vm#prepareThreads}. */
    void prepare() {
        synchronized (lock) {
            if (started || threadsPrepared) {
                throw new IllegalStateException("the vCPU threads were already started");
            }
            threadsPrepared = true;
            activeVcpus = vcpus.length;
        }
        for (Vcpu v : vcpus) {
            v.start();
        }
    }

    /** See {@link Vm#pause}. */
    void pause() {
        requireNotVcpuThread("pause()");
        synchronized (lock) {
            pauseRequested = true;
        }
        kickAll();
        boolean interrupted = false;
        synchronized (lock) {
            while (parkedVcpus < activeVcpus) {
                interrupted |= awaitUninterruptibly();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    void resume() {
        synchronized (lock) {
            pauseRequested = false;
            lock.notifyAll();
        }
    }

    boolean isPaused() {
        return pauseRequested;
    }

    /** Makes every vCPU leave KVM_RUN and end its thread; a parked or waiting one too. */
    void stopAll() {
        synchronized (lock) {
            stopRequested = true;
            lock.notifyAll();
        }
        kickAll();
    }

    /**
     * Waits up to {@code timeoutMs} for each started thread to end; false (and a log line per
     * thread) if any did not, in which case its fd and guest memory must stay as they are.
     */
    boolean join(long timeoutMs) {
        boolean allStopped = true;
        for (Vcpu v : vcpus) {
            Thread t = v.thread();
            if (t != null) {
                try {
                    t.join(timeoutMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (t.isAlive()) {
                    allStopped = false;
                    LOG.log(Level.ERROR, "{0} did not stop within {1} ms; leaving its resources mapped", v.name(), timeoutMs);
                }
            }
        }
        return allStopped;
    }

    /** Closes the vCPU fds, once {@link #join} saw every thread end. */
    void closeFds() {
        for (Vcpu v : vcpus) {
            v.fd().close();
        }
    }

    /** System.nanoTime() (CLOCK_MONOTONIC) when the first vCPU first entered KVM_RUN, or 0 if none has. */
    long firstKvmRunNanos() {
        return firstKvmRunNanos.get();
    }

    /**
     * @throws IllegalStateException on a vCPU thread, for what would wait for that thread itself
     */
    void requireNotVcpuThread(String what) {
        Thread current = Thread.currentThread();
        for (Vcpu v : vcpus) {
            if (v.thread() == current) {
                throw new IllegalStateException(what + " called on " + v.name() + "'s own thread; call it from a non-vCPU thread"
                        + " (devices use requestExit to end the VM)");
            }
        }
    }

    // ---- called by vCPU threads ----

    boolean controlRequested() {
        return pauseRequested || stopRequested;
    }

    /** Parks the calling vCPU while paused; returns false if it must stop instead. */
    boolean parkWhilePaused() {
        synchronized (lock) {
            boolean parked = false;
            try {
                while (true) {
                    if (stopRequested) {
                        return false;
                    }
                    if (!pauseRequested) {
                        return true;
                    }
                    if (!parked) {
                        parked = true;
                        parkedVcpus++;
                        lock.notifyAll();
                    }
                    awaitUninterruptibly(); // vCPU threads are never interrupted on purpose
                }
            } finally {
                if (parked) {
                    parkedVcpus--;
                }
            }
        }
    }

    /**
     * Holds a vCPU thread {@link #prepare} started until {@link #start} (counted as parked
     * meanwhile, so a {@link #pause} before the start does not wait for it); returns false if the
     * VM ends first.
     */
    boolean awaitStart() {
        synchronized (lock) {
            if (started) {
                return !stopRequested;
            }
            parkedVcpus++;
            lock.notifyAll();
            try {
                while (!started && !stopRequested) {
                    awaitUninterruptibly(); // vCPU threads are never interrupted on purpose
                }
            } finally {
                parkedVcpus--;
            }
            return !stopRequested;
        }
    }

    void vcpuStopped() {
        synchronized (lock) {
            activeVcpus--;
            lock.notifyAll();
        }
    }

    void firstKvmRun(int vcpuId) {
        long now = System.nanoTime();
        if (firstKvmRunNanos.compareAndSet(0, now)) {
            // Concatenated (see Vm.create): the vCPU's way to its first KVM_RUN formats no number.
            LOG.log(Level.INFO, "vcpu" + vcpuId + " entering first KVM_RUN at monotonic " + now + " ns");
        }
    }

    private void kickAll() {
        for (Vcpu v : vcpus) {
            v.kick();
        }
    }

    /** Waits on {@link #lock} (caller holds it); returns true if interrupted, for the caller to restore the flag. */
    private boolean awaitUninterruptibly() {
        try {
            lock.wait();
            return false;
        } catch (InterruptedException e) {
            return true;
        }
    }
}
