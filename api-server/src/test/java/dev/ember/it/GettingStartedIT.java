package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs docs/getting-started.md as a user pastes it: every ```bash block, in order, in one shell
 * at the repository root. Only the build step is left out, because the suite running this test
 * has just built everything (rebuilding would replace the jars the test runs from).
 */
class GettingStartedIT {
    @TempDir
    Path dir;

    @Test
    @NeedsKvm
    void everyBlockOfTheGuideWorksAsWritten() throws Exception {
        String guide = Files.readString(EmberProcess.repo().resolve("docs/getting-started.md"));
        StringBuilder script = new StringBuilder("set -u\n");
        Matcher blocks = Pattern.compile("```bash\\n(.*?)```", Pattern.DOTALL).matcher(guide);
        int count = 0;
        while (blocks.find()) {
            count++;
            for (String line : blocks.group(1).split("\n", -1)) {
                if (!line.trim().equals("bin/build")) {
                    script.append(line).append('\n');
                }
            }
            script.append("echo \"== block ").append(count).append(" done\"\n");
        }
        assertTrue(count >= 8, "the guide has its bash blocks (found " + count + ")");
        Path sh = dir.resolve("guide.sh");
        Files.writeString(sh, script.toString().replace("/tmp/ember-getting-started.socket", dir.resolve("api.sock").toString()));

        // stderr (ember's log) goes to its own file: merged into one pipe, a log line could land
        // in the middle of a console line the assertions look for.
        Path stderr = dir.resolve("guide.stderr");
        Process p = new ProcessBuilder("bash", sh.toString()).directory(EmberProcess.repo().toFile())
                .redirectError(stderr.toFile()).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the guide finished");
        String text = new String(out, StandardCharsets.UTF_8) + "\n--- stderr ---\n" + Files.readString(stderr);

        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("\"state\":\"Not started\""), text);
        assertTrue(text.contains("HTTP/1.1 204"), text);
        assertTrue(text.contains("fault_message") && text.contains("vcpu_count"), "the guide's deliberate mistake answers 400\n" + text);
        assertTrue(text.contains("EMBER-TEST: READY idle"), "the guest's console file shows the idle guest\n" + text);
        assertTrue(text.contains("\"state\":\"Paused\""), text);
        assertTrue(text.contains("ember exited with 0"), text);
        assertTrue(text.contains("API socket removed"), text);
        assertTrue(text.contains("Hello from the Ember test guest"), "the config-file VM at the end\n" + text);
        assertTrue(text.contains("exit status 0"), text);
        assertTrue(text.contains("== block " + count + " done"), text);
    }
}
