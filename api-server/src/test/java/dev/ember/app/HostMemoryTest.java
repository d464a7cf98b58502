package dev.ember.app;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HostMemoryTest {
    private static final String MEMINFO = "MemTotal:       24000000 kB\nMemFree:         1000000 kB\nSwapTotal:       1048576 kB\n";

    @Test
    void ramPlusSwapIsTheBound() {
        long hostMib = (24000000L + 1048576L) >> 10;
        assertDoesNotThrow(() -> HostMemory.requireBackable(hostMib, MEMINFO));
        VmmException e = assertThrows(VmmException.class, () -> HostMemory.requireBackable(1048576, MEMINFO));
        assertEquals("machine-config.mem_size_mib is 1048576 MiB, more than this host can back (23437 MiB RAM + 1024 MiB swap);"
                + " give at most " + hostMib, e.getMessage());
        assertThrows(VmmException.class, () -> HostMemory.requireBackable(hostMib + 1, MEMINFO));
    }

    @Test
    void withoutFiguresNothingMappableIsRefused() {
        assertDoesNotThrow(() -> HostMemory.requireBackable(dev.ember.config.MachineConfig.MAX_MEM_SIZE_MIB, "no such format"));
    }

    /** Firecracker accepts 2^64−1 at PUT /machine-config; InstanceStart refuses it, naming the field and a size that fits. */
    @Test
    void sizesPastWhatEmberMapsAreRefusedWithTheHostsBound() {
        long hostMib = (24000000L + 1048576L) >> 10;
        VmmException e = assertThrows(VmmException.class, () -> HostMemory.requireBackable(-1L, MEMINFO));
        assertEquals("machine-config.mem_size_mib is 18446744073709551615 MiB, more guest memory than Ember can map (64 TiB);"
                + " PUT /machine-config with a mem_size_mib of at most " + hostMib + " (what this host can back)", e.getMessage());
        e = assertThrows(VmmException.class, () -> HostMemory.requireBackable(Long.MIN_VALUE, "no such format"));
        assertEquals("machine-config.mem_size_mib is 9223372036854775808 MiB, more guest memory than Ember can map (64 TiB);"
                + " PUT /machine-config with a mem_size_mib of at most 67108864", e.getMessage());
    }
}
