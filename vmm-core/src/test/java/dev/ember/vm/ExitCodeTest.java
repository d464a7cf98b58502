package dev.ember.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExitCodeTest {
    @Test
    void eachStatusNamesOneCode() {
        Set<Integer> seen = new HashSet<>();
        for (ExitCode c : ExitCode.values()) {
            assertEquals(true, seen.add(c.code()), c + " reuses " + c.code());
            assertSame(c, ExitCode.of(c.code()));
        }
        assertEquals(152, ExitCode.BAD_CONFIGURATION.code());
        assertEquals(153, ExitCode.ARG_PARSING.code());
    }

    @Test
    void aTestGuestsOwnStatusIsDescribedAsAPlainExit() {
        assertNull(ExitCode.of(7));
        assertEquals("EXIT(7)", ExitCode.describe(7));
        assertEquals("GENERIC_ERROR(1)", ExitCode.describe(1));
        assertEquals("OK(0)", ExitCode.OK.describe());
    }

    /** Through the ExitRequest a device holds: the first request wins, the enum and a guest's int alike. */
    @Test
    void exitRequestTakesTheEnumOrAGuestsStatus() {
        int[] got = {-1};
        ExitRequest exit = (code, reason) -> {
            if (got[0] < 0) {
                got[0] = code;
            }
        };
        exit.requestExit(ExitCode.BAD_CONFIGURATION, "test");
        exit.requestExit(7, "test guest");
        assertEquals(152, got[0]);
    }
}
