package dev.ember.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LatencyAggregateTest {
    private static MetricGroup fresh() {
        return Metrics.group("latency_test_" + System.nanoTime());
    }

    @Test
    void minMaxAreKeptAndTheSumIsReportedPerFlush() {
        LatencyAggregate l = fresh().latency("op_agg");
        assertEquals(0, l.minUs(), "0 means none yet, as in Firecracker");
        l.record(5);
        l.record(3);
        l.record(9);
        assertEquals(3, l.minUs());
        assertEquals(9, l.maxUs());
        assertEquals(17, l.sumDelta());
        assertEquals(0, l.sumDelta(), "the sum restarts after a flush");
        assertEquals(3, l.minUs(), "min and max are stored values: a flush keeps them");
        l.addToSum(4);
        assertEquals(3, l.minUs());
        assertEquals(4, l.sumDelta());
    }

    @Test
    void concurrentRecordsLoseNothing() throws Exception {
        LatencyAggregate l = fresh().latency("op_agg");
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int base = t;
            threads.add(new Thread(() -> {
                for (int i = 1; i <= 10_000; i++) {
                    l.record(i + base);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        long expected = 0;
        for (int t = 0; t < 4; t++) {
            expected += 10_000L * 10_001 / 2 + 10_000L * t;
        }
        assertEquals(expected, l.sumDelta());
        assertEquals(1, l.minUs());
        assertEquals(10_003, l.maxUs());
    }

    @Test
    void aSchemaDeclaresEveryFieldWithItsKindOnce() {
        String name = "schema_test_" + System.nanoTime();
        GroupSchema schema = GroupSchema.group(name).counters("a_count").stores("b_us").latencies("c_agg");
        MetricGroup g = schema.declare();
        assertSame(g, schema.declare(), "declaring again changes nothing");
        List<Metric> all = g.metrics();
        assertEquals(3, all.size());
        assertTrue(all.get(0) instanceof Counter && all.get(1) instanceof Gauge && all.get(2) instanceof LatencyAggregate, all.toString());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> g.counter("b_us"));
        assertTrue(e.getMessage().contains(name + ".b_us is a Gauge, not a Counter"), e.getMessage());
    }
}
