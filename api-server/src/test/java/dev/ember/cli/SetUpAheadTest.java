package dev.ember.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.ember.seccomp.BpfProgram;
import dev.ember.seccomp.json.SeccompFilters;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SetUpAheadTest {
    /** The filters EmberRun installs are the built-in ones, instruction for instruction. */
    @Test
    void theFiltersReadAheadAreTheBuiltInOnes() {
        SetUpAhead ahead = SetUpAhead.begin(true, true);
        Map<String, BpfProgram> read = ahead.builtInFilters();
        assertNotNull(read, "the built-in filters were not read ahead");
        Map<String, BpfProgram> direct = SeccompFilters.compiledDefault();
        assertEquals(List.copyOf(direct.keySet()), List.copyOf(read.keySet()));
        direct.forEach((category, program) -> assertEquals(program.toString(), read.get(category).toString(), category));
    }

    /**
     * Seccomp's TSYNC applies the filter to every thread at once: the set-up thread must have
     * ended when the filters are handed over, so it is not filtered in the middle of its work.
     */
    @Test
    void theSetUpThreadHasEndedWhenTheFiltersAreHandedOver() {
        SetUpAhead ahead = SetUpAhead.begin(true, true);
        ahead.builtInFilters();
        assertFalse(ahead.isAlive());
        assertEquals("ember-set-up", ahead.getName());
    }

    @Test
    void withoutTheBuiltInFiltersNoneAreRead() {
        SetUpAhead ahead = SetUpAhead.begin(false, false);
        assertNull(ahead.builtInFilters());
        assertFalse(ahead.isAlive());
    }

    @Test
    void anInterruptWhileWaitingIsKeptForTheCaller() {
        SetUpAhead ahead = SetUpAhead.begin(false, false);
        Thread.currentThread().interrupt();
        try {
            ahead.finish();
            assertFalse(ahead.isAlive());
            assertEquals(true, Thread.currentThread().isInterrupted());
        } finally {
            Thread.interrupted();
        }
    }
}
