package dev.ember.vm;

import static dev.ember.vm.LongModeTestGuest.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.bus.WritePort;
import dev.ember.kvm.Kvm;
import dev.ember.kvm.KvmRegs;
import dev.ember.testing.TestTags;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The exits that end a VM, provoked for real on this machine's KVM, and the exit code each gives.
 * (KVM_EXIT_FAIL_ENTRY cannot be provoked here: PVM accepts or ignores invalid entry states that
 * VMX would refuse, so that path is only exercised on hardware virtualisation.)
 */
@Tag(TestTags.NEEDS_KVM)
class VmExitPathTest {
    private static final Duration EXIT_WAIT = Duration.ofSeconds(60);

    @BeforeEach
    void needKvm() {
        KvmTestSupport.requireKvm();
    }

    private static Vm started(String code) {
        Vm vm = Vm.create(new VmSpec(1, 4L << 20, false));
        vm.configureBoot(LongModeTestGuest.write(vm.memory(), hex(code)));
        return vm;
    }

    @Test
    void instructionTheHypervisorCannotEmulateIsAnInternalErrorWithGenericErrorCode() throws Exception {
        // PVM emulates all guest kernel code and its emulator has no INT3 in 64-bit mode (see
        // pvm-findings.md). Hardware KVM runs INT3 natively, so there the instruction reads memory
        // where no slot is (48 MiB), which KVM must emulate, and its emulator has no POPCNT.
        String code = Kvm.hostIsPvm() ? "cc eb fe" : "f3 0f b8 04 25 00 00 00 03 eb fe"; // popcnt eax, [0x3000000]
        try (Vm vm = started(code)) {
            vm.start();
            assertTrue(vm.awaitExit(EXIT_WAIT));
            assertEquals(ExitCode.GENERIC_ERROR.code(), vm.exitCode(), vm.exitReason());
            assertTrue(vm.exitReason().contains("KVM_EXIT_INTERNAL_ERROR suberror 1"), vm.exitReason());
            assertTrue(vm.exitReason().contains("RIP 0x100000"), vm.exitReason());
            assertTrue(vm.exitReason().contains("instruction bytes " + code.substring(0, 8)), vm.exitReason());
        }
    }

    @Test
    void executingOutsideGuestRamIsAnInternalError() throws Exception {
        try (Vm vm = started("eb fe")) {
            KvmRegs regs = new KvmRegs();
            vm.vcpuFd(0).getRegs(regs);
            regs.set(KvmRegs.RIP, 0x0300_0000L); // 48 MiB: no memory slot there
            vm.vcpuFd(0).setRegs(regs);
            vm.start();
            assertTrue(vm.awaitExit(EXIT_WAIT));
            assertEquals(ExitCode.GENERIC_ERROR.code(), vm.exitCode());
            assertTrue(vm.exitReason().contains("RIP 0x3000000"), vm.exitReason());
        }
    }

    @Test
    void tripleFaultIsAShutdownExitWithOkCode() throws Exception {
        // ud2 with an IDT of non-present gates: #UD -> #NP -> #DF -> triple fault.
        try (Vm vm = started("0f 0b")) {
            vm.start();
            assertTrue(vm.awaitExit(EXIT_WAIT));
            assertEquals(ExitCode.OK.code(), vm.exitCode());
            assertTrue(vm.exitReason().contains("KVM_EXIT_SHUTDOWN"), vm.exitReason());
        }
    }

    @Test
    void deviceThatThrowsEndsTheVmWithUnexpectedErrorCode() throws Exception {
        assertPortWriteEndsTheVmWithUnexpectedError(vm -> {
            throw new IllegalStateException("device bug");
        }, "device bug");
    }

    @Test
    void pauseFromADeviceOnTheVcpuThreadFailsInsteadOfDeadlocking() throws Exception {
        assertPortWriteEndsTheVmWithUnexpectedError(Vm::pause, "pause() called on fc_vcpu 0's own thread");
    }

    /** A guest writes port 0x80, whose device does {@code onWrite} on the vCPU thread. */
    private void assertPortWriteEndsTheVmWithUnexpectedError(Consumer<Vm> onWrite, String reason) throws Exception {
        try (Vm vm = started("66 ba 80 00 ee eb fe")) { // mov dx, 0x80; out dx, al
            vm.pioBus().register(0x80, 1, new WritePort(v -> onWrite.accept(vm)));
            vm.start();
            assertTrue(vm.awaitExit(EXIT_WAIT));
            assertEquals(ExitCode.UNEXPECTED_ERROR.code(), vm.exitCode());
            assertTrue(vm.exitReason().contains(reason), vm.exitReason());
        }
    }

    @Test
    void haltedVcpuWithInterruptsOffIsStoppedByAnExitRequest() throws Exception {
        try (Vm vm = started("fa f4 eb fe")) { // cli; hlt: sleeps in the in-kernel LAPIC forever
            vm.start();
            vm.pause();
            vm.resume();
            vm.requestExit(ExitCode.OK, "test done");
            assertEquals(ExitCode.OK.code(), vm.awaitExit());
        }
    }
}
