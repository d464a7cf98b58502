package dev.ember.vm;

import static dev.ember.vm.LongModeTestGuest.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.memory.GuestMemory;
import dev.ember.testing.TestTags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A VM built on a shell made earlier (the VMM builds one while it waits for InstanceStart). */
@Tag(TestTags.NEEDS_KVM)
class VmShellTest {
    /** mov byte [0x5000], 0x2a; hlt. */
    private static final byte[] STORE_AND_HALT = hex("c6 04 25 00 50 00 00 2a f4");

    @BeforeEach
    void needKvm() {
        KvmTestSupport.requireKvm();
    }

    @Test
    void aShellMadeBeforeTheSpecIsKnownRunsTheVmTheSpecAsksFor() throws Exception {
        VmShell shell = VmShell.create();
        List<String> before = kvmDescriptors();
        // The shape is decided after the shell exists, as machine-config may change until InstanceStart.
        VmSpec spec = new VmSpec(2, 8L << 20, false);
        try (Vm vm = Vm.create(shell, spec, GuestMemory.create(spec.memSizeBytes()), false)) {
            assertTrue(shell.taken());
            assertEquals(2, vm.vcpuCount());
            List<String> after = kvmDescriptors();
            assertEquals(before.stream().filter(d -> d.endsWith("kvm-vm")).toList(),
                    after.stream().filter(d -> d.endsWith("kvm-vm")).toList(), "the shell's KVM VM is the VM's, no second one");
            vm.configureBoot(LongModeTestGuest.write(vm.memory(), STORE_AND_HALT));
            vm.start();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (vm.memory().getByte(0x5000) != 0x2a && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(0x2a, vm.memory().getByte(0x5000), "the guest ran on the shell's VM");
        }
        shell.close(); // the VM owns and closed the descriptors: a taken shell's close does nothing
    }

    @Test
    void aShellBuildsOneVmOnly() throws Exception {
        long vmsBefore = kvmDescriptors().stream().filter(d -> d.endsWith("kvm-vm")).count();
        VmShell shell = VmShell.create();
        VmSpec spec = new VmSpec(1, 4L << 20, false);
        try (Vm vm = Vm.create(shell, spec, GuestMemory.create(spec.memSizeBytes()), false)) {
            GuestMemory second = GuestMemory.create(spec.memSizeBytes());
            assertThrows(IllegalStateException.class, () -> Vm.create(shell, spec, second, false));
            assertEquals(vmsBefore + 1, kvmDescriptors().stream().filter(d -> d.endsWith("kvm-vm")).count(), "still the one VM");
        }
    }

    @Test
    void anUnusedShellLetsItsDescriptorsGo() throws Exception {
        long vmsBefore = kvmDescriptors().stream().filter(d -> d.endsWith("kvm-vm")).count();
        VmShell shell = VmShell.create();
        assertEquals(vmsBefore + 1, kvmDescriptors().stream().filter(d -> d.endsWith("kvm-vm")).count());
        shell.close();
        assertEquals(vmsBefore, kvmDescriptors().stream().filter(d -> d.endsWith("kvm-vm")).count());
    }

    /** "fd -> target" of this process's KVM descriptors (/dev/kvm and anon_inode:kvm-vm). */
    private static List<String> kvmDescriptors() throws Exception {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.flatMap(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    return target.contains("kvm") && !target.contains("vcpu") ? Stream.of(fd.getFileName() + " -> " + target) : Stream.empty();
                } catch (java.io.IOException e) {
                    return Stream.empty(); // the listing's own descriptor, gone already
                }
            }).sorted().toList();
        }
    }
}
