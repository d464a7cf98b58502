package dev.ember.arch.x86;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Compiles and runs a small C program that prints "name value" lines (offsetof/sizeof/macros),
 * so layout tests compare Java constants with what gcc computes from the kernel's definitions.
 */
final class CLayout {
    private CLayout() {}

    static boolean gccAvailable() {
        try {
            Process p = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Compiles {@code source} with extra gcc {@code flags}, runs it and parses its output. */
    static Map<String, Long> run(Path dir, String source, List<String> flags) throws IOException, InterruptedException {
        if (!gccAvailable()) {
            System.out.println("SKIP: gcc not found, cannot check struct layouts against the kernel's definitions");
            assumeTrue(false, "gcc is needed for the layout test");
        }
        Path c = dir.resolve("layout.c");
        Path exe = dir.resolve("layout");
        Files.writeString(c, source);
        List<String> cmd = new java.util.ArrayList<>(List.of("gcc", "-std=gnu11", "-Wall", "-Werror", "-o", exe.toString()));
        cmd.addAll(flags);
        cmd.add(c.toString());
        Process cc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!cc.waitFor(120, TimeUnit.SECONDS) || cc.exitValue() != 0) {
            throw new AssertionError("gcc failed on the layout program:\n" + ccOut);
        }
        Process run = new ProcessBuilder(exe.toString()).redirectErrorStream(true).start();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!run.waitFor(60, TimeUnit.SECONDS) || run.exitValue() != 0) {
            throw new AssertionError("layout program failed:\n" + out);
        }
        Map<String, Long> values = new HashMap<>();
        for (String line : out.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] kv = line.trim().split("\\s+");
            values.put(kv[0], Long.decode(kv[1]));
        }
        return values;
    }
}
