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
    void withoutFiguresNothingIsRefused() {
        assertDoesNotThrow(() -> HostMemory.requireBackable(Long.MAX_VALUE >> 20, "no such format"));
    }
}
