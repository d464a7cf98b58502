package dev.ember.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Compiles and runs a small C program that prints {@code name value} lines (sizeof, offsetof,
 * constants) so layout tests can compare Java's view of a kernel struct with the C headers.
 */
public final class CProbe {
    private CProbe() {}

    /** Evaluates each {@code name -> C expression} with {@code <header>} included for each of {@code headers}. */
    public static Map<String, Long> evaluate(List<String> headers, Map<String, String> expressions) throws IOException,
            InterruptedException {
        List<String> named = new ArrayList<>();
        expressions.forEach((name, expr) -> {
            named.add(name);
            named.add(expr);
        });
        return run(Files.createTempDirectory("ember-cprobe"), includes(headers), named.toArray(String[]::new));
    }

    /** {@link #mismatches(Path, String, Object[][])} with {@code <header>} included for each of {@code headers}, in a fresh directory. */
    public static List<String> mismatches(List<String> headers, Object[][] rows) throws IOException, InterruptedException {
        return mismatches(Files.createTempDirectory("ember-cprobe"), includes(headers), rows);
    }

    private static String includes(List<String> headers) {
        StringBuilder includes = new StringBuilder();
        for (String h : headers) {
            includes.append("#include <").append(h).append(">\n");
        }
        return includes.toString();
    }

    /** Compiles in {@code dir} and runs a program printing each (name, C expression) pair of {@code namedExpressions}. */
    public static Map<String, Long> run(Path dir, String includes, String... namedExpressions) throws IOException, InterruptedException {
        StringBuilder c = new StringBuilder(includes).append("\n#include <stdio.h>\n#include <stddef.h>\nint main(void){\n");
        for (int i = 0; i < namedExpressions.length; i += 2) {
            c.append("printf(\"%s %lld\\n\", \"").append(namedExpressions[i]).append("\", (long long)(")
                    .append(namedExpressions[i + 1]).append("));\n");
        }
        c.append("return 0;}\n");
        Path src = dir.resolve("probe.c");
        Path exe = dir.resolve("probe");
        Files.writeString(src, c.toString());
        Process cc = new ProcessBuilder("gcc", "-o", exe.toString(), src.toString()).redirectErrorStream(true).start();
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (cc.waitFor() != 0) {
            throw new AssertionError("gcc failed:\n" + ccOut + "\n" + c);
        }
        Process run = new ProcessBuilder(exe.toString()).start();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!run.waitFor(30, TimeUnit.SECONDS) || run.exitValue() != 0) {
            throw new AssertionError("probe failed: " + out);
        }
        Map<String, Long> values = new HashMap<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                String[] f = line.trim().split(" ");
                values.put(f[0], Long.parseLong(f[1]));
            }
        }
        return values;
    }

    /**
     * Compares a table of {@code {name, Java value (a Number), C expression}} rows with what gcc
     * says under {@code includes}; returns one line per row that disagrees (empty when all agree).
     */
    public static List<String> mismatches(Path dir, String includes, Object[][] rows) throws IOException, InterruptedException {
        String[] exprs = new String[rows.length * 2];
        for (int i = 0; i < rows.length; i++) {
            exprs[2 * i] = (String) rows[i][0];
            exprs[2 * i + 1] = (String) rows[i][2];
        }
        Map<String, Long> c = run(dir, includes, exprs);
        List<String> wrong = new ArrayList<>();
        for (Object[] r : rows) {
            long java = ((Number) r[1]).longValue();
            Long actual = c.get((String) r[0]);
            if (actual == null || actual != java) {
                wrong.add(r[0] + " (" + r[2] + "): Java " + java + ", C " + actual);
            }
        }
        return wrong;
    }
}
