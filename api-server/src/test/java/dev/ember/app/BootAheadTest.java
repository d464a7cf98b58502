package dev.ember.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.config.HugePages;
import dev.ember.it.TestGuests;
import dev.ember.kvm.Kvm;
import dev.ember.testing.TestTags;
import dev.ember.vm.Vm;
import dev.ember.vm.VmSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The boot built while the client configures (real /dev/kvm): what InstanceStart takes, what a
 * change of configuration does to a build, and that nothing built is left behind.
 */
@Tag(TestTags.NEEDS_KVM)
class BootAheadTest {
    @TempDir
    Path dir;

    private final BootAhead ahead = new BootAhead(plan -> Vm.create(plan.spec()));
    private CompletableFuture<Void> main;

    @BeforeEach
    void needKvm() {
        assumeTrue(Kvm.available(), Kvm.DEVICE + " is absent");
    }

    private static BootAhead.Plan plan(int vcpus, int memMib, Path kernel) {
        return new BootAhead.Plan(new VmSpec(vcpus, (long) memMib << 20, false), HugePages.None, false, kernel, null, false, null, null);
    }

    private void startMain() {
        main = CompletableFuture.runAsync(ahead::run);
    }

    private void awaitBuilt(BootAhead.Plan plan) throws InterruptedException {
        awaitBuilt(ahead, plan);
    }

    private static void awaitBuilt(BootAhead builder, BootAhead.Plan plan) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!plan.equals(builder.builtPlan()) && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        assertEquals(plan, builder.builtPlan(), "built for the plan offered");
    }

    @Test
    void aMachineChangedAfterTheBuildGetsANewVmAndTheOldOneIsClosed() throws Exception {
        long vmsBefore = descriptors("kvm-vm");
        long vcpusBefore = descriptors("kvm-vcpu");
        startMain();
        BootAhead.Plan first = plan(1, 64, TestGuests.image());
        ahead.offer(first);
        awaitBuilt(first);
        assertEquals(vcpusBefore + 1, descriptors("kvm-vcpu"));
        BootAhead.Plan changed = plan(2, 96, TestGuests.image());
        ahead.offer(changed);
        awaitBuilt(changed);
        assertEquals(vmsBefore + 1, descriptors("kvm-vm"), "the first VM was closed");
        assertEquals(vcpusBefore + 2, descriptors("kvm-vcpu"));
        BootAhead.Built taken = ahead.take(changed);
        main.get(60, TimeUnit.SECONDS);
        assertNotNull(taken);
        assertEquals(2, taken.vm.vcpuCount());
        assertEquals(96L << 20, taken.vm.memory().size());
        assertNotNull(taken.entry(), "kernel loaded, tables written, vCPUs in their boot state");
        taken.close();
        assertEquals(vmsBefore, descriptors("kvm-vm"));
        assertEquals(vcpusBefore, descriptors("kvm-vcpu"));
    }

    @Test
    void aStartWhoseMachineDiffersFromTheBuildGetsNothingAndTheBuildIsClosed() throws Exception {
        long vmsBefore = descriptors("kvm-vm");
        startMain();
        BootAhead.Plan built = plan(1, 64, TestGuests.image());
        ahead.offer(built);
        awaitBuilt(built);
        assertNull(ahead.take(plan(1, 128, TestGuests.image())));
        main.get(60, TimeUnit.SECONDS);
        assertEquals(vmsBefore, descriptors("kvm-vm"));
    }

    @Test
    void aKernelFileChangedAfterItWasLoadedAheadIsNotUsed() throws Exception {
        long vmsBefore = descriptors("kvm-vm");
        Path kernel = Files.copy(TestGuests.image(), dir.resolve("kernel.elf"));
        startMain();
        BootAhead.Plan p = plan(1, 64, kernel);
        ahead.offer(p);
        awaitBuilt(p);
        Files.write(kernel, new byte[4096], StandardOpenOption.APPEND);
        assertNull(ahead.take(p), "the start loads the kernel as it is now");
        main.get(60, TimeUnit.SECONDS);
        assertEquals(vmsBefore, descriptors("kvm-vm"));
    }

    @Test
    void aVmBuiltBeforeBootSourceIsHandedOverWithoutAKernel() throws Exception {
        startMain();
        BootAhead.Plan noKernel = plan(1, 64, null);
        ahead.offer(noKernel);
        awaitBuilt(noKernel);
        BootAhead.Built taken = ahead.take(plan(1, 64, TestGuests.image()));
        main.get(60, TimeUnit.SECONDS);
        assertNotNull(taken, "same machine: the start loads the kernel into it");
        assertNull(taken.images());
        assertNull(taken.entry());
        taken.close();
    }

    @Test
    void stoppingClosesABuildNobodyTookAndEndsMainsWait() throws Exception {
        long vmsBefore = descriptors("kvm-vm");
        long vcpusBefore = descriptors("kvm-vcpu");
        startMain();
        BootAhead.Plan p = plan(2, 64, TestGuests.image());
        ahead.offer(p);
        awaitBuilt(p);
        ahead.close();
        main.get(60, TimeUnit.SECONDS);
        assertEquals(vmsBefore, descriptors("kvm-vm"));
        assertEquals(vcpusBefore, descriptors("kvm-vcpu"));
        assertNull(ahead.take(p));
    }

    /** A build that fails changes nothing a request sees and leaves nothing open; the next plan is built. */
    @Test
    void aPlanThatCannotBeBuiltIsDroppedAndTheNextOneIsBuilt() throws Exception {
        long vmsBefore = descriptors("kvm-vm");
        java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
        BootAhead failingFirst = new BootAhead(plan -> {
            if (attempts.incrementAndGet() == 1) {
                throw new VmmException("no memory for this test");
            }
            return Vm.create(plan.spec());
        });
        CompletableFuture<Void> m = CompletableFuture.runAsync(failingFirst::run);
        failingFirst.offer(plan(1, 64, null));
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (attempts.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        BootAhead.Plan next = plan(2, 64, null);
        failingFirst.offer(next);
        awaitBuilt(failingFirst, next);
        assertNull(failingFirst.take(plan(1, 64, null)), "a start with the plan that failed builds its own and says why");
        m.get(60, TimeUnit.SECONDS);
        assertEquals(vmsBefore, descriptors("kvm-vm"));
    }

    /** An Error ends main's build loop; a start arriving afterwards builds its own instead of waiting for ever. */
    @Test
    void aBuildEndedByAnErrorDoesNotLeaveTheStartWaiting() throws Exception {
        java.util.concurrent.CountDownLatch attempted = new java.util.concurrent.CountDownLatch(1);
        BootAhead broken = new BootAhead(plan -> {
            attempted.countDown();
            throw new StackOverflowError("for this test");
        });
        CompletableFuture<Void> m = CompletableFuture.runAsync(broken::run);
        broken.offer(plan(1, 64, null));
        assertTrue(attempted.await(60, TimeUnit.SECONDS));
        org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class, () -> m.get(60, TimeUnit.SECONDS));
        assertNull(CompletableFuture.supplyAsync(() -> broken.take(plan(1, 64, null))).get(60, TimeUnit.SECONDS));
    }

    /** Plans compare field by field (their equals is written out): any difference means another build. */
    @Test
    void plansAreEqualExactlyWhenEveryFieldIs() {
        Path k = Path.of("/k");
        BootAhead.Plan base = new BootAhead.Plan(new VmSpec(2, 64L << 20, false), HugePages.None, false, k, null, false, null, null);
        BootAhead.Plan same = new BootAhead.Plan(new VmSpec(2, 64L << 20, false), HugePages.None, false, Path.of("/k"), null, false, null, null);
        assertEquals(base, same);
        assertEquals(base.hashCode(), same.hashCode());
        java.util.List<BootAhead.Plan> others = java.util.List.of(
                new BootAhead.Plan(new VmSpec(1, 64L << 20, false), HugePages.None, false, k, null, false, null, null),
                new BootAhead.Plan(new VmSpec(2, 128L << 20, false), HugePages.None, false, k, null, false, null, null),
                new BootAhead.Plan(new VmSpec(2, 64L << 20, true), HugePages.None, false, k, null, false, null, null),
                new BootAhead.Plan(new VmSpec(2, 64L << 20, false), HugePages.Transparent, false, k, null, false, null, null),
                new BootAhead.Plan(new VmSpec(2, 64L << 20, false), HugePages.None, true, k, null, false, null, null),
                new BootAhead.Plan(new VmSpec(2, 64L << 20, false), HugePages.None, false, Path.of("/other"), null, false, null, null),
                new BootAhead.Plan(new VmSpec(2, 64L << 20, false), HugePages.None, false, k, Path.of("/i"), false, null, null),
                new BootAhead.Plan(new VmSpec(2, 64L << 20, false), HugePages.None, false, k, null, true, null, null),
                new BootAhead.Plan(new VmSpec(2, 64L << 20, false), HugePages.None, false, k, null, false, null,
                        dev.ember.config.CpuTemplate.values()[0]));
        for (BootAhead.Plan other : others) {
            assertTrue(!base.equals(other) && !other.equals(base), "differs: " + other);
        }
        assertTrue(!base.equals(null) && !base.equals("plan"));
    }

    private static long descriptors(String kind) throws Exception {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().endsWith(kind) || Files.readSymbolicLink(fd).toString().contains(kind + ":");
                } catch (java.io.IOException e) {
                    return false; // the listing's own descriptor, gone already
                }
            }).count();
        }
    }
}
