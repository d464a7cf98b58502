package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness's own evidence: a wait that runs out on a live VMM says where its threads were. */
class EmberProcessIT {
    @TempDir
    Path dir;

    @Test
    void aWaitThatRunsOutOnALiveVmmCarriesItsThreadsInTheKernelAndInJava() throws Exception {
        try (EmberProcess ember = EmberProcess.start("--api-sock", dir.resolve("a.sock").toString())) {
            ember.awaitStderr("API server listening", Duration.ofSeconds(60));
            AssertionError e = assertThrows(AssertionError.class, () -> ember.awaitStdout("NEVER-PRINTED", Duration.ofMillis(200)));
            String m = e.getMessage();
            assertTrue(m.startsWith("ember never printed /NEVER-PRINTED/ (timed out)"), m);
            assertTrue(m.contains("--- threads in the kernel (/proc/" + ember.pid() + "/task) ---"), m);
            assertTrue(m.contains("  tid " + ember.pid() + " java state=S") && m.contains("wchan="), m);
            assertTrue(m.contains("\"ember-api-io\""), "the JVM's thread dump (SIGQUIT) is in the message:\n" + m);
            assertTrue(ember.isAlive(), "the dump does not end the VMM");
        }
    }
}
