package dev.ember.app;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The hand-over between the thread that builds ahead and the start that takes the build, with
 * plain objects in place of KVM VMs (BootAheadTest and VmShellAheadTest drive it with real ones).
 */
class AheadHolderTest {
    /** Something built: a KVM VM in the VMM. */
    static final class Part {
        boolean closed;
    }

    /** A holder whose builds the test starts and ends by hand. */
    static final class Holder extends AheadHolder<Part> {
        synchronized boolean begin() {
            if (over || building) {
                return false;
            }
            building = true;
            return true;
        }

        @Override
        void discard(Part unused) {
            unused.closed = true;
        }
    }

    private final Holder holder = new Holder();

    @Test
    void aTakeDuringABuildWaitsForItAndGetsWhatItBuilt() throws Exception {
        assertTrue(holder.begin());
        CompletableFuture<Part> start = CompletableFuture.supplyAsync(holder::takeBuilt);
        Part part = new Part();
        holder.buildEnded(part);
        assertSame(part, start.get(60, TimeUnit.SECONDS));
        assertFalse(part.closed, "handed over open");
        assertFalse(holder.begin(), "nothing more is built after a take");
        holder.close();
        assertFalse(part.closed, "a stop after the take leaves the part to its taker");
    }

    @Test
    void aFailedBuildEndsTheWaitWithNothing() throws Exception {
        assertTrue(holder.begin());
        CompletableFuture<Part> start = CompletableFuture.supplyAsync(holder::takeBuilt);
        holder.buildEnded(null);
        assertNull(start.get(60, TimeUnit.SECONDS));
    }

    @Test
    void aStopDuringABuildClosesWhatItBuildsWhenDone() {
        assertTrue(holder.begin());
        holder.close();
        Part part = new Part();
        holder.buildEnded(part);
        assertTrue(part.closed, "closed by the build that made it, as the stop had come");
        assertNull(holder.takeBuilt());
    }

    @Test
    void aStopClosesWhatWasBuiltAndNotTaken() {
        assertTrue(holder.begin());
        Part part = new Part();
        holder.buildEnded(part);
        holder.close();
        assertTrue(part.closed);
        assertNull(holder.takeBuilt());
    }

    @Test
    void anInterruptedTakeStillWaitsForTheBuildAndKeepsTheInterrupt() throws Exception {
        assertTrue(holder.begin());
        Part part = new Part();
        CompletableFuture<Boolean> interruptKept = new CompletableFuture<>();
        Thread start = new Thread(() -> {
            Thread.currentThread().interrupt();
            Part taken = holder.takeBuilt();
            interruptKept.complete(taken == part && Thread.currentThread().isInterrupted());
        });
        start.start();
        holder.buildEnded(part);
        assertTrue(interruptKept.get(60, TimeUnit.SECONDS), "the build taken, the interrupt kept");
    }
}
