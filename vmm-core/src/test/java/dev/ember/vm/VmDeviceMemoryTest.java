package dev.ember.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.kvm.KvmCap;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.testing.TestTags;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Device memory slots (what virtio-pmem maps) on the machine's /dev/kvm: placed above RAM and
 * 4 GiB at the requested alignment, one KVM slot each after RAM's, read-only when asked, and
 * removable; the addresses depend only on the order and sizes of the calls.
 */
@Tag(TestTags.NEEDS_KVM)
class VmDeviceMemoryTest {
    private static final long MIB = 1 << 20;

    @BeforeEach
    void needKvm() {
        KvmTestSupport.requireKvm();
    }

    private static long anonymous(long size) {
        long host = Native.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
        assertTrue(host != LibC.MAP_FAILED);
        return host;
    }

    @Test
    void regionsGoAboveFourGibInOrderEachInItsOwnSlot() {
        long a = anonymous(2 * MIB), b = anonymous(4 * MIB);
        try (Vm vm = Vm.create(new VmSpec(1, 64 * MIB, false))) {
            int ramSlots = vm.memory().regions().size();
            DeviceMemory first = vm.addressSpace().mapDeviceMemory(a, 2 * MIB, 2 * MIB, false);
            DeviceMemory second = vm.addressSpace().mapDeviceMemory(b, 4 * MIB, 2 * MIB, false);
            assertEquals(0x1_0000_0000L, first.guestBase(), "RAM ends below the MMIO gap: the first region starts at 4 GiB");
            assertEquals(0x1_0020_0000L, second.guestBase(), "the next one right after, 2 MiB aligned");
            assertEquals(ramSlots, first.slot());
            assertEquals(ramSlots + 1, second.slot());
            vm.addressSpace().unmapDeviceMemory(first);
            vm.addressSpace().unmapDeviceMemory(first); // idempotent
        } finally {
            Native.LIBC.munmap(a, 2 * MIB);
            Native.LIBC.munmap(b, 4 * MIB);
        }
    }

    @Test
    void withRamPastTheGapTheRegionFollowsRam() {
        long a = anonymous(2 * MIB);
        long ram = 0xE000_0000L; // 3.5 GiB: 256 MiB of it continue at 4 GiB
        try (Vm vm = Vm.create(new VmSpec(1, ram, false))) {
            assertEquals(0x1_1000_0000L, vm.memory().end());
            assertEquals(0x1_1000_0000L, vm.addressSpace().mapDeviceMemory(a, 2 * MIB, 2 * MIB, false).guestBase());
        } finally {
            Native.LIBC.munmap(a, 2 * MIB);
        }
    }

    @Test
    void readOnlyIsAKvmReadOnlySlotOrANamedRefusal() {
        long a = anonymous(2 * MIB);
        try (Vm vm = Vm.create(new VmSpec(1, 64 * MIB, false)); dev.ember.kvm.Kvm kvm = dev.ember.kvm.Kvm.open()) {
            if (kvm.checkExtension(KvmCap.READONLY_MEM) > 0) {
                assertTrue(vm.addressSpace().mapDeviceMemory(a, 2 * MIB, 2 * MIB, true).readOnly());
            } else {
                VmConfigurationException e = assertThrows(VmConfigurationException.class, () -> vm.addressSpace().mapDeviceMemory(a, 2 * MIB, 2 * MIB, true));
                assertTrue(e.getMessage().contains("KVM_CAP_READONLY_MEM"), e.getMessage());
            }
            assertThrows(IllegalArgumentException.class, () -> vm.addressSpace().mapDeviceMemory(a, 3 * MIB + 1, 2 * MIB, false), "not page sized");
            assertThrows(IllegalArgumentException.class, () -> vm.addressSpace().mapDeviceMemory(a, 2 * MIB, 3 * MIB, false), "alignment not a power of two");
        } finally {
            Native.LIBC.munmap(a, 2 * MIB);
        }
    }
}
