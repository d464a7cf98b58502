package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console escape as a user meets it: the real bin/ember on a terminal (a tmux pane, keys
 * sent with send-keys), running docs/examples/idle.json. Its console goes to a file and its exit
 * status to another, so the test reads both back.
 */
class ConsoleEscapeIT {
    private static final Duration BOOT = Duration.ofSeconds(90);

    @TempDir
    Path dir;
    private String server;

    @BeforeEach
    void tmux() throws Exception {
        assumeTrue(new ProcessBuilder("tmux", "-V").start().waitFor() == 0,
                "tmux is not installed (bin/lib/common.sh's ember_build_deps installs it)");
        server = "ember-it-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void killServer() throws Exception {
        if (server != null) {
            tmux("kill-server");
        }
    }

    private String tmux(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("tmux", "-L", server, "-f", "/dev/null"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return out;
    }

    /** Starts bin/ember with idle.json in a new tmux pane: stdin is the pane's terminal. */
    private void startOnATerminal(String... extraArgs) throws Exception {
        String command = "cd '" + EmberProcess.repo() + "' && bin/ember --no-api --config-file docs/examples/idle.json "
                + String.join(" ", java.util.Arrays.stream(extraArgs).map(a -> "'" + a + "'").toList()) + " > '" + dir.resolve("console") + "' 2> '" + dir.resolve("log")
                + "'; echo $? > '" + dir.resolve("status") + "'";
        tmux("new-session", "-d", "-x", "160", "-y", "40", command);
        awaitConsole("EMBER-TEST: READY idle");
    }

    private String read(String name) throws IOException {
        Path p = dir.resolve(name);
        return Files.exists(p) ? Files.readString(p) : "";
    }

    private String describe() throws IOException {
        return "--- console ---\n" + read("console") + "\n--- log ---\n" + read("log") + "\n--- status ---\n" + read("status");
    }

    private Matcher awaitConsole(String regex) throws Exception {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + BOOT.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = p.matcher(read("console"));
            if (m.find()) {
                return m;
            }
            assertFalse(Files.exists(dir.resolve("status")), "ember ended early\n" + describe());
            Thread.sleep(50);
        }
        throw new AssertionError("no /" + regex + "/ on the console\n" + describe());
    }

    /** Waits for a tick the guest prints after now: the VM is still running. */
    private void awaitAnotherTick() throws Exception {
        Matcher last = Pattern.compile("tick ([0-9]+)").matcher(read("console"));
        int n = 0;
        while (last.find()) {
            n = Integer.parseInt(last.group(1));
        }
        awaitConsole("tick " + (n + 1) + "\n");
    }

    private String awaitStatus() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            String s = read("status").trim();
            if (!s.isEmpty()) {
                return s;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("ember did not end\n" + describe());
    }

    /** Ctrl-A x is typed and the VM runs on: the keys were the guest's. */
    private void assertCtrlAXGoesToTheGuest() throws Exception {
        tmux("send-keys", "C-a", "x");
        awaitAnotherTick();
        assertEquals("", read("status"), "still running\n" + describe());
    }

    @Test
    @NeedsKvm
    void ctrlAThenXEndsTheVmWithExitZeroWhileCtrlCGoesToTheGuest() throws Exception {
        startOnATerminal();
        assertTrue(read("log").contains("Ctrl-A then x stops the microVM"), "the log says how to stop it\n" + describe());
        tmux("send-keys", "C-c");
        awaitAnotherTick(); // Ctrl-C went to the guest; the VM runs on
        tmux("send-keys", "C-a", "x");
        assertEquals("0", awaitStatus(), describe());
        assertTrue(read("log").contains("console escape Ctrl-A x typed"), describe());
    }

    @Test
    @NeedsKvm
    void withEscapeNoneCtrlAXGoesToTheGuest() throws Exception {
        startOnATerminal("--console-escape", "none");
        assertCtrlAXGoesToTheGuest();
        // Stopped the other documented way: SIGTERM to bin/ember (the pane's shell's child).
        long shell = Long.parseLong(tmux("display-message", "-p", "#{pane_pid}").trim());
        ProcessHandle ember = ProcessHandle.of(shell).orElseThrow().children().findFirst().orElseThrow();
        ember.destroy();
        assertEquals("0", awaitStatus(), describe());
    }

    @Test
    @NeedsKvm
    void anotherEscapeKeyIsTakenAndCtrlAThenPasses() throws Exception {
        startOnATerminal("--console-escape", "^]");
        assertCtrlAXGoesToTheGuest();
        tmux("send-keys", "C-]", "x");
        assertEquals("0", awaitStatus(), describe());
    }

    /** A script piping data: stdin is not a terminal, so Ctrl-A x are two bytes for the guest like any other. */
    @Test
    @NeedsKvm
    void pipedInputPassesUnchanged() throws Exception {
        try (EmberProcess p = EmberProcess.boot(TestGuests.config(dir, "echo").toString())) {
            p.awaitStdout("EMBER-TEST: READY echo", BOOT);
            p.type("a\u0001xb\u0001\u0001c\n");
            p.awaitStdout("a\u0001xb\u0001\u0001c\n", Duration.ofSeconds(30));
            assertTrue(p.isAlive(), p.describe());
            p.type("quit\n");
            assertEquals(0, p.awaitExit(Duration.ofSeconds(30)), p.describe());
            assertTrue(p.stdout().contains("EMBER-TEST: PASS echo"), p.describe());
        }
    }

    @Test
    void aBadKeyIsRefusedWithTheAcceptedOnes() throws Exception {
        try (EmberProcess p = EmberProcess.start("--no-api", "--config-file", "docs/examples/idle.json", "--console-escape", "q")) {
            assertEquals(153, p.awaitExit(Duration.ofSeconds(30)), p.describe());
            assertTrue(p.stderr().contains("'q' is not a console escape key; give ^A to ^Z"), p.describe());
        }
    }
}
