package dev.ember.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.kvm.Kvm;
import dev.ember.testing.TestTags;
import dev.ember.vm.VmShell;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The KVM VM built ahead on main, and the start (or load) that takes it, racing as they do in the VMM. */
class VmShellAheadTest {
    private final AtomicInteger made = new AtomicInteger();
    private final CountDownLatch building = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);

    private static void needKvm() {
        assumeTrue(Kvm.available(), Kvm.DEVICE + " is absent");
    }

    private VmShell counted() {
        made.incrementAndGet();
        return VmShell.create();
    }

    /** A factory whose first shell waits for {@link #release}: the build is caught in the middle. */
    private VmShell slowFirst() {
        if (made.incrementAndGet() == 1) {
            building.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return VmShell.create();
    }

    /**
     * Main, idle after the API became ready, waits a while for the first request before it runs a
     * load's first steps ahead (LoadAhead): a request that began (or one that begins while it
     * waits) ends the wait at once with true; a holder nobody wants returns false when the time
     * is up, and building nothing.
     */
    @Test
    @Tag(TestTags.NEEDS_KVM)
    void awaitWantedSaysWhetherConfigurationBeganWithinTheTime() throws Exception {
        needKvm();
        VmShellAhead idle = new VmShellAhead(this::counted);
        assertFalse(idle.awaitWanted(1));
        VmShellAhead wanted = new VmShellAhead(this::counted);
        wanted.want();
        assertTrue(wanted.awaitWanted(60_000));
        VmShellAhead later = new VmShellAhead(this::counted);
        CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> later.awaitWanted(600_000));
        later.want();
        assertTrue(waiting.get(60, TimeUnit.SECONDS));
        assertEquals(0, made.get(), "waiting built a shell");
    }

    /**
     * A snapshot load reaches the VM while main is still building the shell: it waits for that
     * shell and uses it, and no second KVM VM is made. (The first version kept its "nothing more
     * to build" mark for "discard what is being built": the load then waited, the shell was
     * closed, and the load made a second one.)
     */
    @Test
    @Tag(TestTags.NEEDS_KVM)
    void aStartArrivingWhileTheShellIsBuiltWaitsForItAndMakesNoSecond() throws Exception {
        needKvm();
        VmShellAhead ahead = new VmShellAhead(this::slowFirst);
        ahead.want();
        CompletableFuture<Void> main = CompletableFuture.runAsync(ahead::buildWhenWanted);
        assertTrue(building.await(60, TimeUnit.SECONDS));
        CompletableFuture<VmShell> start = CompletableFuture.supplyAsync(ahead::take);
        release.countDown();
        main.get(60, TimeUnit.SECONDS);
        VmShell taken = start.get(60, TimeUnit.SECONDS);
        assertEquals(1, made.get(), "one KVM VM made");
        assertFalse(taken.taken(), "the shell is open for the VM to take");
        taken.close();
    }

    @Test
    @Tag(TestTags.NEEDS_KVM)
    void aStartBeforeConfigurationBeganBuildsItsOwnAndMainBuildsNothing() throws Exception {
        needKvm();
        VmShellAhead ahead = new VmShellAhead(this::counted);
        CompletableFuture<Void> main = CompletableFuture.runAsync(ahead::buildWhenWanted);
        VmShell own = ahead.take();
        main.get(60, TimeUnit.SECONDS); // take() ended main's wait
        ahead.want();
        ahead.build();
        assertEquals(1, made.get(), "only the start's own shell");
        own.close();
    }

    @Test
    @Tag(TestTags.NEEDS_KVM)
    void aShellBuiltAheadIsTheOneTakenAndClosingAfterwardsLeavesItToItsVm() throws Exception {
        needKvm();
        VmShellAhead ahead = new VmShellAhead(this::counted);
        ahead.want();
        ahead.buildWhenWanted();
        VmShell taken = ahead.take();
        ahead.close(); // the VMM stopping later must not close what a VM now owns
        assertFalse(taken.taken());
        assertEquals(1, made.get());
        taken.close();
    }

    /**
     * A build ended by an Error (a native binding that failed to link) still ends: the start
     * does not wait for it, and makes its own shell. (Before, only a RuntimeException ended
     * it, and the start waited forever.) No KVM needed: no shell is made.
     */
    @Test
    void aBuildEndedByAnErrorDoesNotHoldUpTheStart() throws Exception {
        VmShellAhead ahead = new VmShellAhead(() -> {
            if (made.incrementAndGet() == 1) {
                throw new LinkageError("the build ahead's");
            }
            throw new IllegalStateException("the start's own");
        });
        ahead.want();
        assertThrows(LinkageError.class, ahead::build);
        CompletableFuture<VmShell> start = CompletableFuture.supplyAsync(ahead::take);
        ExecutionException e = assertThrows(ExecutionException.class, () -> start.get(60, TimeUnit.SECONDS));
        assertEquals("the start's own", e.getCause().getMessage());
    }
}
