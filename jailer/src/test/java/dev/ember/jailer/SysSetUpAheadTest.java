package dev.ember.jailer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * jffi's set-up starts on a thread of its own while the jailer thread reads its command line:
 * the thread ends once it is done (nothing of it is left when the jailer enters its namespaces),
 * and system calls work after it, from the jailer thread.
 */
class SysSetUpAheadTest {
    @Test
    void theSetUpThreadEndsAndSystemCallsWorkAfterIt() throws Exception {
        Thread t = Sys.setUpAhead();
        assertEquals("jailer-set-up", t.getName());
        assertTrue(t.isDaemon());
        t.join(60_000);
        assertFalse(t.isAlive(), "the set-up thread is still running");
        assertEquals(ProcessHandle.current().pid(), Sys.getpid());
    }
}
