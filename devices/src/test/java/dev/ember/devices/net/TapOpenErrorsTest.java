package dev.ember.devices.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What a bad host_dev_name gets before any system call: a typed reason and a message naming the fix. */
class TapOpenErrorsTest {
    @Test
    void invalidInterfaceNamesAreRefusedByReason() {
        for (String name : new String[] {"", "has/slash", "has space", "sixteen-chars-xx"}) {
            TapException e = assertThrows(TapException.class, () -> Tap.open(name));
            assertEquals(TapException.Reason.INVALID_NAME, e.reason(), name);
            // The API shows this message as the fault: it names the field and the rule.
            assertTrue(e.getMessage().contains("host_dev_name") && e.getMessage().contains("1 to 15"), e.getMessage());
        }
    }
}
