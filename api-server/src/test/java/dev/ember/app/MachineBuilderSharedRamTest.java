package dev.ember.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.config.HugePages;
import dev.ember.config.MemoryHotplugConfig;
import dev.ember.memory.GuestMemory;
import dev.ember.vm.VmSpec;
import org.junit.jupiter.api.Test;

/**
 * Guest RAM for a machine with a vhost-user drive: one memfd the back-end can map, refused (before
 * anything is built) with what the back-end could not reach: huge pages, a hotpluggable range.
 */
class MachineBuilderSharedRamTest {
    private static final VmSpec SPEC = new VmSpec(1, 8L << 20, false);

    @Test
    void ramIsOneSharedMemfd() throws VmmException {
        try (GuestMemory ram = MachineBuilder.sharedRam(SPEC, HugePages.None, null)) {
            assertTrue(ram.sharedFd() >= 0);
            assertEquals(SPEC.memSizeBytes(), ram.size());
        }
    }

    @Test
    void hugePagesAreRefused() {
        VmmException e = assertThrows(VmmException.class, () -> MachineBuilder.sharedRam(SPEC, HugePages.Hugetlbfs2M, null));
        assertTrue(e.getMessage().contains("huge_pages"), e.getMessage());
    }

    @Test
    void aHotpluggableRangeIsRefused() {
        MemoryHotplugConfig hotplug = new MemoryHotplugConfig(256L, null, null);
        VmmException e = assertThrows(VmmException.class, () -> MachineBuilder.sharedRam(SPEC, HugePages.None, hotplug));
        assertTrue(e.getMessage().startsWith("memory hotplug (PUT /hotplug/memory) with a vhost-user drive is not supported"),
                e.getMessage());
    }
}
