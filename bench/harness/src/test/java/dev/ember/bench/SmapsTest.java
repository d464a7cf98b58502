package dev.ember.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SmapsTest {
    private static final List<String> SAMPLE = List.of(
            "7f0000000000-7f0008000000 rw-p 00000000 00:00 0 ",
            "Size:             131072 kB",
            "Rss:                2048 kB",
            "Pss:                2048 kB",
            "7f0010000000-7f0010400000 r--p 00000000 08:01 1234                       /usr/lib/jvm/x/lib/server/classes.jsa",
            "Size:               4096 kB",
            "Rss:                3000 kB",
            "Pss:                 300 kB",
            "VmFlags: rd mr mw me",
            "7f0020000000-7f0028200000 rw-p 00000000 00:00 0 ",
            "Size:             133120 kB",
            "Rss:                 512 kB",
            "Pss:                 512 kB",
            "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
            "Size:                  4 kB",
            "Rss:                   0 kB",
            "Pss:                   0 kB");

    @Test
    void parsesHeadersCountersAndPaths() {
        List<Smaps.Mapping> maps = Smaps.parse(SAMPLE);
        assertEquals(4, maps.size());
        assertEquals(0x7f0000000000L, maps.get(0).start());
        assertTrue(maps.get(0).anonymous());
        assertEquals("/usr/lib/jvm/x/lib/server/classes.jsa", maps.get(1).path());
        assertEquals(300, maps.get(1).get("Pss"));
        assertEquals(0xffffffffff601000L, maps.get(3).end());
    }

    @Test
    void guestRamIsTheAnonymousMappingOfTheGuestSizeWithMostResidentPages() {
        List<Smaps.Mapping> maps = Smaps.parse(SAMPLE);
        Smaps.Mapping exact = Smaps.findGuestRam(maps, 131072, 0);
        assertNotNull(exact);
        assertEquals(2048, exact.get("Rss"));
        // With slack both anonymous mappings qualify; the one with more resident pages wins.
        assertEquals(exact, Smaps.findGuestRam(maps, 131072, 4096));
        assertNull(Smaps.findGuestRam(maps, 262144, 4096));
        Map<String, Long> kinds = Smaps.pssByKind(maps, exact);
        assertEquals(300, kinds.get("aot_archive_ro"));
        assertEquals(512, kinds.get("anon_other"));
    }

    @Test
    void anonymousMemoryIsToldApartByShape() {
        List<Smaps.Mapping> maps = Smaps.parse(List.of(
                "f8000000-f9000000 rw-p 00000000 00:00 0 ", "Pss: 1000 kB",
                "f9000000-100000000 ---p 00000000 00:00 0 ", "Pss: 0 kB",
                "800000000-800100000 rw-p 00001000 fe:00 1 /img/aot/ember.aot", "Pss: 900 kB",
                "800100000-800200000 r--p 00101000 fe:00 1 /img/aot/ember.aot", "Pss: 80 kB",
                "7f0000000000-7f0000100000 rw-p 00000000 00:00 0 ", "Pss: 700 kB",
                "7f0000100000-7f0004000000 ---p 00000000 00:00 0 ", "Pss: 0 kB",
                "7f0010001000-7f0010081000 rw-p 00000000 00:00 0 ", "Pss: 60 kB",
                "7f0020000000-7f0020400000 rwxp 00000000 00:00 0 ", "Pss: 500 kB",
                "7f0030000000-7f0030010000 rw-p 00000000 00:00 0 ", "Pss: 40 kB",
                "55550000-55560000 rw-p 00000000 00:00 0 [heap]", "Pss: 30 kB"));
        Map<String, Long> kinds = Smaps.pssByKind(maps, null);
        assertEquals(1000, kinds.get("java_heap"));
        assertEquals(900, kinds.get("aot_archive_rw"));
        assertEquals(80, kinds.get("aot_archive_ro"));
        assertEquals(700, kinds.get("arenas_metaspace_64m"));
        assertEquals(500, kinds.get("code_cache"));
        assertEquals(100, kinds.get("anon_other"));
        assertEquals(30, kinds.get("malloc_brk"));
    }

    @Test
    void readsThisJvmsOwnMappings() throws Exception {
        long pid = ProcessHandle.current().pid();
        List<Smaps.Mapping> maps = Smaps.mappings(pid);
        assertTrue(maps.size() > 20, "a JVM has many mappings");
        assertTrue(maps.stream().anyMatch(m -> m.path().endsWith("/libjvm.so")), "libjvm.so is mapped");
        Map<String, Long> roll = Smaps.rollup(pid);
        assertTrue(roll.get("Rss") > 10_000, "a JVM has more than 10 MiB resident");
        assertTrue(roll.get("Pss") <= roll.get("Rss"));
    }
}
