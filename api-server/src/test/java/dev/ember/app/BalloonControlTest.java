package dev.ember.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.config.StrictWriter;
import dev.ember.devices.virtio.balloon.BalloonStatistics;
import java.util.List;
import org.junit.jupiter.api.Test;

/** GET /balloon/statistics as the client reads it: every statistic tag the guest sends under Firecracker's field name. */
class BalloonControlTest {
    /** Firecracker's names, in the order of the virtio tags 0 to 15. */
    private static final List<String> NAMES = List.of("swap_in", "swap_out", "major_faults", "minor_faults", "free_memory",
            "total_memory", "available_memory", "disk_caches", "hugetlb_allocations", "hugetlb_failures", "oom_kill",
            "alloc_stall", "async_scan", "direct_scan", "async_reclaim", "direct_reclaim");

    private static JsonNode response(long target, long actual, BalloonStatistics.Snapshot s) throws Exception {
        return new ObjectMapper().readTree(StrictWriter.write(BalloonControl.statistics(target, actual, s)::write));
    }

    @Test
    void everyTagTheGuestSendsIsShownUnderItsName() throws Exception {
        long[] values = new long[BalloonStatistics.TAGS];
        for (int tag = 0; tag < values.length; tag++) {
            values[tag] = 1000L * tag + 7;
        }
        JsonNode body = response(512, 256, new BalloonStatistics.Snapshot(values, (1 << BalloonStatistics.TAGS) - 1, 1));
        assertEquals(NAMES.size(), BalloonStatistics.TAGS);
        for (int tag = 0; tag < NAMES.size(); tag++) {
            assertEquals(1000L * tag + 7, body.path(NAMES.get(tag)).asLong(-1), NAMES.get(tag) + " in " + body);
        }
        assertEquals(512, body.get("target_pages").asLong());
        assertEquals(256, body.get("actual_pages").asLong());
        assertEquals(2, body.get("target_mib").asLong());
        assertEquals(1, body.get("actual_mib").asLong());
        assertEquals(4 + NAMES.size(), body.size(), body.toString());
    }

    @Test
    void aTagNeverSentIsLeftOut() throws Exception {
        long[] values = new long[BalloonStatistics.TAGS];
        values[BalloonStatistics.MEMFREE] = 4096;
        values[BalloonStatistics.OOM_KILL] = 3;
        int present = 1 << BalloonStatistics.MEMFREE | 1 << BalloonStatistics.OOM_KILL;
        JsonNode body = response(0, 0, new BalloonStatistics.Snapshot(values, present, 1));
        assertEquals(4096, body.get("free_memory").asLong());
        assertEquals(3, body.get("oom_kill").asLong());
        assertFalse(body.has("alloc_stall"), body.toString());
        assertFalse(body.has("swap_in"), body.toString());
        assertEquals(6, body.size(), body.toString());
    }
}
