package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunnerWatchdogTest {
    @TempDir
    Path dir;

    @Test
    void junitDurationsAreReadAsJUnitWritesThem() {
        assertEquals(Duration.ofMinutes(8), RunnerWatchdog.parse("8 m"));
        assertEquals(Duration.ofSeconds(90), RunnerWatchdog.parse("90 s"));
        assertEquals(Duration.ofMillis(500), RunnerWatchdog.parse("500 ms"));
        assertEquals(Duration.ofSeconds(7), RunnerWatchdog.parse("7"));
        assertEquals(Duration.ofMinutes(8).plusSeconds(90 + 60), RunnerWatchdog.quietLimit("8 m"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunnerWatchdog.parse("eight minutes"));
        assertTrue(e.getMessage().contains("'eight minutes'"), e.getMessage());
    }

    /** A runner whose main thread blocks for good is ended with the watchdog's status, its threads written down. */
    @Test
    void aStuckRunnerIsEndedWithItsThreadsKept() throws Exception {
        Path results = dir.resolve("results.tsv");
        Path hangs = dir.resolve("hangs");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), StuckRunner.class.getName(), results.toString(), hangs.toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the stuck runner was not ended");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(RunnerWatchdog.EXIT, p.exitValue(), out);
        assertTrue(out.contains("the runner is stuck"), out);
        Path report = hangs.resolve("runner-stuck-" + p.pid() + ".txt");
        String text = Files.readString(report);
        assertTrue(text.contains("StuckRunner.blockForGood"), text);
        assertTrue(text.contains("this JVM's threads in the kernel"), text);
    }

    static final class StuckRunner {
        public static void main(String[] args) throws Exception {
            NestedResults results = new NestedResults(Path.of(args[0]));
            RunnerWatchdog.start(results, Path.of(args[1]), Duration.ofSeconds(6));
            blockForGood();
        }

        private static void blockForGood() throws InterruptedException {
            Object never = new Object();
            synchronized (never) {
                never.wait();
            }
        }
    }
}
