package dev.ember.vm;

import static dev.ember.vm.LongModeTestGuest.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.ember.testing.TestTags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * vCPU threads started before the start ({@link Vm#prepareThreads}): the VMM starts them while
 * the client is still configuring, so InstanceStart only has to wake them.
 */
@Tag(TestTags.NEEDS_KVM)
class VmPreparedThreadsTest {
    /** mov byte [0x5000], 0x2a; hlt. */
    private static final byte[] STORE_AND_HALT = hex("c6 04 25 00 50 00 00 2a f4");

    @BeforeEach
    void needKvm() {
        KvmTestSupport.requireKvm();
    }

    @Test
    void preparedThreadsWaitWithoutRunningUntilStartThenRunTheGuestConfiguredMeanwhile() throws Exception {
        try (Vm vm = Vm.create(new VmSpec(2, 8L << 20, false))) {
            vm.prepareThreads();
            awaitWaiting(vm);
            assertEquals(0, vm.firstKvmRunNanos(), "no vCPU entered KVM_RUN before start");
            // The boot state is set from this thread while the vCPU threads exist and wait.
            vm.configureBoot(LongModeTestGuest.write(vm.memory(), STORE_AND_HALT));
            Thread vcpu0 = vm.vcpuThread(0);
            vm.start();
            awaitGuestStore(vm);
            assertNotEquals(0, vm.firstKvmRunNanos());
            assertEquals(vcpu0, vm.vcpuThread(0), "start woke the prepared thread, it made no other");
            assertThrows(IllegalStateException.class, vm::prepareThreads);
        }
    }

    @Test
    void closingAVmWhoseThreadsWaitEndsThemAndLetsItsVcpuDescriptorsGo() throws Exception {
        long before = vcpuDescriptors();
        Vm vm = Vm.create(new VmSpec(2, 8L << 20, false));
        vm.prepareThreads();
        awaitWaiting(vm);
        Thread t0 = vm.vcpuThread(0);
        Thread t1 = vm.vcpuThread(1);
        assertEquals(before + 2, vcpuDescriptors());
        vm.close();
        assertFalse(t0.isAlive(), "vCPU 0's thread ended");
        assertFalse(t1.isAlive(), "vCPU 1's thread ended");
        assertEquals(before, vcpuDescriptors(), "the vCPU descriptors are closed");
        assertEquals(0, vm.firstKvmRunNanos());
    }

    /** The threads waiting for start count as parked: a pause before start returns, and resume lets them run. */
    @Test
    void aPauseBeforeStartReturnsAndTheGuestRunsOnResume() throws Exception {
        try (Vm vm = Vm.create(new VmSpec(1, 8L << 20, false))) {
            vm.prepareThreads();
            vm.configureBoot(LongModeTestGuest.write(vm.memory(), STORE_AND_HALT));
            assertTimeoutPreemptively(Duration.ofSeconds(60), vm::pause, "pause waited for a thread that was not running");
            vm.start();
            vm.resume();
            awaitGuestStore(vm);
        }
    }

    private static void awaitWaiting(Vm vm) throws InterruptedException {
        for (int i = 0; i < vm.vcpuCount(); i++) {
            Thread t = vm.vcpuThread(i);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (t.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            assertEquals(Thread.State.WAITING, t.getState(), t.getName() + " waits for start");
        }
    }

    private static void awaitGuestStore(Vm vm) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (vm.memory().getByte(0x5000) != 0x2a && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(0x2a, vm.memory().getByte(0x5000), "the guest ran");
    }

    private static long vcpuDescriptors() throws Exception {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().contains("kvm-vcpu");
                } catch (java.io.IOException e) {
                    return false; // the listing's own descriptor, gone already
                }
            }).count();
        }
    }
}
