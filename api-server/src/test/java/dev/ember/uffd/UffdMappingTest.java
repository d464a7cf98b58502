package dev.ember.uffd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The JSON the VMM sends with the userfaultfd: Firecracker's GuestRegionUffdMapping, field for field. */
class UffdMappingTest {
    @Test
    void theVmmWritesFirecrackersFieldsInBytes() {
        String json = new String(UffdMapping.toJson(List.of(new UffdMapping(0x7f0000000000L, 0xD0000000L, 0, 4096),
                new UffdMapping(0x7f00d0000000L, 0x10000000L, 0xD0000000L, 4096))), StandardCharsets.UTF_8);
        assertEquals("[{\"base_host_virt_addr\":139637976727552,\"size\":3489660928,\"offset\":0,\"page_size\":4096,\"page_size_kib\":4096},"
                + "{\"base_host_virt_addr\":139641466388480,\"size\":268435456,\"offset\":3489660928,\"page_size\":4096,\"page_size_kib\":4096}]",
                json);
    }

    @Test
    void theHandlerReadsTheNewAndTheOldFormAndIgnoresFieldsItDoesNotKnow() {
        List<UffdMapping> m = UffdMapping.parse(("[{\"base_host_virt_addr\": 8192, \"size\": 4096, \"offset\": 0, \"page_size\": 4096,"
                + " \"page_size_kib\": 4096, \"later_field\": true}, {\"base_host_virt_addr\": 1048576, \"size\": 2097152,"
                + " \"offset\": 4096, \"page_size_kib\": 4096}]").getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of(new UffdMapping(8192, 4096, 0, 4096), new UffdMapping(1048576, 2097152, 4096, 4096)), m);
        assertTrue(m.get(0).contains(8192) && m.get(0).contains(12287) && !m.get(0).contains(12288));
    }

    @Test
    void badMappingsAreRefusedNamingTheProblem() {
        String[][] cases = {
                {"{}", "non-empty JSON array"},
                {"[]", "non-empty JSON array"},
                {"[{\"size\": 4096, \"offset\": 0, \"page_size\": 4096}]", "region 0: base_host_virt_addr must be a non-negative integer"},
                {"[{\"base_host_virt_addr\": 4096, \"size\": 4096, \"offset\": 0, \"page_size\": 3000}]", "page_size 3000 is not a power of two"},
                {"[{\"base_host_virt_addr\": 4097, \"size\": 4096, \"offset\": 0, \"page_size\": 4096}]", "multiples of page_size"},
                {"[{\"base_host_virt_addr\": 4096, \"size\": \"4096\", \"offset\": 0, \"page_size\": 4096}]", "size must be a non-negative integer"},
                {"[{", "not JSON"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> UffdMapping.parse(c[0].getBytes(StandardCharsets.UTF_8)), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
        }
    }
}
