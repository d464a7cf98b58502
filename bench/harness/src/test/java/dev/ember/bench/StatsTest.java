package dev.ember.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void percentilesAreNearestRankOverSortedSamples() {
        double[] v = new double[100];
        for (int i = 0; i < 100; i++) {
            v[i] = 100 - i; // 100..1, unsorted on purpose
        }
        Stats s = Stats.of(v);
        assertEquals(50.5, s.median());
        assertEquals(90, s.p90());
        assertEquals(99, s.p99());
        assertEquals(1, s.min());
        assertEquals(100, s.max());
        assertEquals(50.5, s.mean(), 1e-9);
    }

    @Test
    void oddCountMedianIsTheMiddleSample() {
        Stats s = Stats.of(3, 1, 2);
        assertEquals(2, s.median());
        assertEquals(3, s.p90());
        assertEquals(1.0, s.stdev(), 1e-9);
    }

    @Test
    void emptyAndOutOfRangeAreRejected() {
        assertThrows(IllegalArgumentException.class, Stats::of);
        assertThrows(IllegalArgumentException.class, () -> Stats.of(1).percentile(0));
    }
}
