package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** User mistakes on the command line and in config files: clear messages, Firecracker's exit codes, no stack traces. */
class CliErrorsIT {
    @TempDir
    Path dir;

    private static void assertNoStackTrace(EmberProcess p) {
        assertFalse(p.stderr().contains("\tat "), "no stack trace\n" + p.describe());
        assertFalse(p.stderr().contains("Exception in thread"), p.describe());
    }

    @Test
    void missingKernelNamesTheFieldAndExits152() throws Exception {
        Path cfg = dir.resolve("c.json");
        Files.writeString(cfg, "{\"boot-source\":{\"kernel_image_path\":\"/nonexistent/vmlinux\"},\"machine-config\":{\"vcpu_count\":1,\"mem_size_mib\":64}}");
        try (EmberProcess p = EmberProcess.boot(cfg.toString())) {
            assertEquals(152, p.awaitExit(Duration.ofSeconds(30)), p.describe());
            assertTrue(p.stderr().contains("kernel_image_path"), p.describe());
            assertNoStackTrace(p);
        }
    }

    @Test
    void unknownSectionIsRejectedWithTheAcceptedOnes() throws Exception {
        Path cfg = dir.resolve("c.json");
        Files.writeString(cfg, "{\"boot-source\":{\"kernel_image_path\":\"" + TestGuests.image() + "\"},\"gpu\":{}}");
        try (EmberProcess p = EmberProcess.boot(cfg.toString())) {
            assertEquals(152, p.awaitExit(Duration.ofSeconds(30)), p.describe());
            assertTrue(p.stderr().contains("gpu"), p.describe());
            assertTrue(p.stderr().contains("machine-config"), "lists accepted sections\n" + p.describe());
            assertNoStackTrace(p);
        }
    }

    @Test
    void notAKernelIsReportedAsSuch() throws Exception {
        Path bogus = dir.resolve("bogus.bin");
        Files.write(bogus, new byte[8192]);
        Path cfg = dir.resolve("c.json");
        Files.writeString(cfg, "{\"boot-source\":{\"kernel_image_path\":\"" + bogus + "\"},\"machine-config\":{\"vcpu_count\":1,\"mem_size_mib\":64}}");
        try (EmberProcess p = EmberProcess.boot(cfg.toString())) {
            int code = p.awaitExit(Duration.ofSeconds(30));
            assertTrue(code != 0, p.describe());
            assertTrue(p.stderr().toLowerCase().contains("bogus.bin"), p.describe());
            assertNoStackTrace(p);
        }
    }

    @Test
    void badArgumentsExit153() throws Exception {
        try (EmberProcess p = EmberProcess.start("--no-such-flag")) {
            assertEquals(153, p.awaitExit(Duration.ofSeconds(30)), p.describe());
            assertNoStackTrace(p);
        }
    }
}
