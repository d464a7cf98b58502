package dev.ember.devices.testutil;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Compiles and runs a small C program that prints integer expressions (offsetof, sizeof, ioctl
 * numbers) from the system headers, so layout tests compare our Java constants with the
 * kernel's own definitions.
 */
public final class CProbe {
    private CProbe() {}

    /** Evaluates each {@code name -> C expression} with the given headers included. */
    public static Map<String, Long> evaluate(List<String> includes, Map<String, String> expressions) throws IOException,
            InterruptedException {
        Path dir = Files.createTempDirectory("ember-cprobe");
        StringBuilder src = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n");
        for (String inc : includes) {
            src.append("#include <").append(inc).append(">\n");
        }
        src.append("int main(void) {\n");
        for (Map.Entry<String, String> e : expressions.entrySet()) {
            src.append("  printf(\"%s=%lld\\n\", \"").append(e.getKey()).append("\", (long long)(")
                    .append(e.getValue()).append("));\n");
        }
        src.append("  return 0;\n}\n");
        Path c = dir.resolve("probe.c");
        Path exe = dir.resolve("probe");
        Files.writeString(c, src.toString());
        run(List.of("gcc", "-o", exe.toString(), c.toString()), "gcc");
        String out = run(List.of(exe.toString()), "probe");
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                values.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1).trim()));
            }
        }
        return values;
    }

    private static String run(List<String> cmd, String what) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(what + " failed: " + out);
        }
        return out;
    }
}
