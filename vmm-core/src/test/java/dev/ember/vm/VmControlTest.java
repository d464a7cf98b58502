package dev.ember.vm;

import static dev.ember.vm.LongModeTestGuest.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.kvm.KvmMpState;
import dev.ember.testing.TestTags;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Pause, resume and exit requests against vCPUs that are running guest code or sleeping in the kernel. */
@Tag(TestTags.NEEDS_KVM)
class VmControlTest {
    private static final long COUNTER = 0x4000;
    /** inc qword [0x4000]; jmp back: a guest that never exits on its own. */
    private static final byte[] SPIN = hex("48 ff 04 25 00 40 00 00 eb f6");
    private static final Duration PROGRESS_WAIT = Duration.ofSeconds(60);

    @BeforeEach
    void needKvm() {
        KvmTestSupport.requireKvm();
    }

    @Test
    void spinningGuestIsPausedResumedAndStoppedOnRequest() throws Exception {
        try (Vm vm = Vm.create(new VmSpec(1, 4L << 20, false))) {
            vm.configureBoot(LongModeTestGuest.write(vm.memory(), SPIN));
            vm.start();
            long running = waitForCounterAbove(vm, 0);
            assertTrue(running > 0);

            vm.pause();
            assertTrue(vm.isPaused());
            long paused = vm.memory().getLong(COUNTER);
            Thread.sleep(100); // the vCPU is parked in user space: the guest cannot advance meanwhile
            assertEquals(paused, vm.memory().getLong(COUNTER), "guest advanced while paused");

            vm.resume();
            assertFalse(vm.isPaused());
            assertTrue(waitForCounterAbove(vm, paused) > paused);

            vm.requestExit(ExitCode.GENERIC_ERROR, "test stops the spinning guest");
            vm.requestExit(ExitCode.OK, "a second request must not win");
            assertEquals(ExitCode.GENERIC_ERROR.code(), vm.awaitExit());
            assertEquals("test stops the spinning guest", vm.exitReason());
        }
    }

    @Test
    void pauseBeforeStartKeepsTheVcpuParkedUntilResume() throws Exception {
        try (Vm vm = Vm.create(new VmSpec(1, 4L << 20, false))) {
            vm.configureBoot(LongModeTestGuest.write(vm.memory(), SPIN));
            vm.pause();
            vm.start();
            vm.pause(); // returns once the started vCPU has parked
            assertEquals(0, vm.memory().getLong(COUNTER));
            assertEquals(0, vm.firstKvmRunNanos());
            vm.resume();
            assertTrue(waitForCounterAbove(vm, 0) > 0);
        }
    }

    @Test
    void vcpusSleepingInTheKernelAreKickedForPauseAndExit() throws Exception {
        // vCPU 1 waits for INIT-SIPI-SIPI inside KVM_RUN; only the kick signal can get it out.
        try (Vm vm = Vm.create(new VmSpec(2, 4L << 20, false))) {
            vm.configureBoot(LongModeTestGuest.write(vm.memory(), SPIN));
            assertEquals(KvmMpState.UNINITIALIZED, vm.vcpuFd(1).getMpState());
            vm.start();
            waitForCounterAbove(vm, 0);
            vm.pause();
            assertEquals(KvmMpState.UNINITIALIZED, vm.vcpuFd(1).getMpState());
            vm.resume();
            vm.requestExit(ExitCode.OK, "test done");
            assertEquals(ExitCode.OK.code(), vm.awaitExit());
        }
    }

    private static long waitForCounterAbove(Vm vm, long floor) throws InterruptedException {
        long deadline = System.nanoTime() + PROGRESS_WAIT.toNanos();
        long v;
        while ((v = vm.memory().getLong(COUNTER)) <= floor) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("guest counter did not advance past " + floor + " within " + PROGRESS_WAIT);
            }
            Thread.sleep(5);
        }
        return v;
    }
}
