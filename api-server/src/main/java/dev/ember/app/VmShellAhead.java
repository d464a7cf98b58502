package dev.ember.app;

import dev.ember.log.Log;
import dev.ember.vm.VmShell;

/**
 * The {@link VmShell} (the KVM VM's configuration-free kernel side) built while the VMM waits
 * for its first requests, for the first InstanceStart or snapshot load to take. One shell at
 * most, used once: after the first {@link #take()} (even one whose start then failed) every
 * start builds its own, as before. A shell that could not be built ahead is not an error here:
 * the start builds one itself and reports what is wrong then.
 */
final class VmShellAhead extends AheadHolder<VmShell> {
    private static final System.Logger LOG = Log.logger(VmShellAhead.class);

    private final java.util.function.Supplier<VmShell> factory;
    /** A client began to configure the VM: {@link #buildWhenWanted} may build. */
    private boolean wanted;

    VmShellAhead() {
        this(VmShell::create);
    }

    /** {@code factory} makes the shell (VmShell::create; tests pass their own). */
    VmShellAhead(java.util.function.Supplier<VmShell> factory) {
        this.factory = factory;
    }

    /** Says configuration began; cheap, and callable from any thread. */
    synchronized void want() {
        if (!wanted) {
            wanted = true;
            notifyAll();
        }
    }

    /**
     * Waits up to {@code millis} for {@link #want} or the end of this holder; false when neither
     * came, i.e. the VMM has stayed idle that long.
     */
    synchronized boolean awaitWanted(long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (!wanted && !over) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        }
        return true;
    }

    /**
     * Waits (on the calling thread, which does nothing else meanwhile) until {@link #want} or the
     * end of this holder, then {@link #build}s.
     */
    void buildWhenWanted() {
        synchronized (this) {
            while (!wanted && !over) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        build();
    }

    /** Builds the shell on the calling thread, unless one exists, is being built or was taken. */
    void build() {
        synchronized (this) {
            if (over || building || built != null) {
                return;
            }
            building = true;
        }
        long t0 = System.nanoTime();
        VmShell shell = null;
        try {
            shell = factory.get();
            LOG.log(System.Logger.Level.DEBUG, "KVM VM (irqchip, PIT) built ahead of the start in "
                    + (System.nanoTime() - t0) / 1000 + " us");
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "KVM VM not built ahead (the start will say why): " + e.getMessage());
        } finally {
            buildEnded(shell);
        }
    }

    /**
     * The shell built ahead (waiting for it while {@link #build} runs on another thread), else a
     * new one; from here on this holder builds nothing more.
     */
    VmShell take() {
        VmShell ahead = takeBuilt(); // a buildWhenWanted still waiting returns
        if (ahead != null) {
            LOG.log(System.Logger.Level.DEBUG, "the start takes the KVM VM built ahead");
            return ahead;
        }
        return factory.get();
    }

    @Override
    void discard(VmShell unused) {
        unused.close();
    }
}
