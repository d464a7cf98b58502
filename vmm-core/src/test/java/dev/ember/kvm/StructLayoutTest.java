package dev.ember.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles a C program against {@code <linux/kvm.h>} that prints sizeof/offsetof of every struct
 * and member the layout classes of dev.ember.kvm declare ({@link CStruct}/{@link CField}) and the
 * value of every {@link CConst}, then compares each with the Java constant.
 */
class StructLayoutTest {
    /** Java constant -> C expression, in a stable order; key is a human-readable name. */
    private record Check(String name, String cExpression, long javaValue) {}

    @Test
    void everyDeclaredLayoutAndConstantMatchesTheKernelHeaders(@TempDir Path dir) throws Exception {
        List<Check> checks = collectChecks();
        assertTrue(checks.size() > 200, "expected the full set of layout constants, found " + checks.size());

        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include <linux/kvm.h>\nint main(void) {\n");
        for (Check check : checks) {
            c.append("  printf(\"%s=%lld\\n\", \"").append(check.name).append("\", (long long)(").append(check.cExpression).append("));\n");
        }
        c.append("  return 0;\n}\n");
        Path src = dir.resolve("layout.c");
        Path exe = dir.resolve("layout");
        Files.writeString(src, c);
        String compileOutput = run(List.of("gcc", "-Wall", "-o", exe.toString(), src.toString()));
        assertTrue(Files.isExecutable(exe), "gcc failed to compile the layout probe:\n" + compileOutput);
        String output = run(List.of(exe.toString()));

        Map<String, Long> actual = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            int eq = line.lastIndexOf('=');
            if (eq > 0) {
                actual.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1).trim()));
            }
        }
        List<String> mismatches = new ArrayList<>();
        for (Check check : checks) {
            Long v = actual.get(check.name);
            if (v == null || v != check.javaValue) {
                mismatches.add(String.format("%s: Java %d (0x%x), C %s", check.name, check.javaValue, check.javaValue,
                        v == null ? "missing" : v + String.format(" (0x%x)", v)));
            }
        }
        assertEquals(List.of(), mismatches, "layout constants that disagree with <linux/kvm.h>");
    }

    private static List<Check> collectChecks() throws Exception {
        List<Check> checks = new ArrayList<>();
        for (Class<?> cls : kvmPackageClasses()) {
            CStruct struct = cls.getAnnotation(CStruct.class);
            if (struct != null) {
                String type = "struct " + struct.value();
                Field size = cls.getDeclaredField("SIZE");
                checks.add(new Check(struct.value() + ".sizeof", "sizeof(" + type + ")", size.getInt(null)));
            }
            for (Field f : cls.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers())) {
                    continue;
                }
                CField field = f.getAnnotation(CField.class);
                if (field != null) {
                    if (struct == null) {
                        throw new AssertionError(cls.getName() + "." + f.getName() + " has @CField but the class has no @CStruct");
                    }
                    String type = "struct " + struct.value();
                    checks.add(new Check(struct.value() + "." + field.value() + ".offset",
                            "offsetof(" + type + ", " + field.value() + ")", f.getInt(null)));
                    if (field.size() > 0) {
                        checks.add(new Check(struct.value() + "." + field.value() + ".sizeof",
                                "sizeof(((" + type + " *)0)->" + field.value() + ")", field.size()));
                    }
                }
                CConst constant = f.getAnnotation(CConst.class);
                if (constant != null) {
                    long v = f.getType() == long.class ? f.getLong(null) : f.getInt(null);
                    checks.add(new Check(cls.getSimpleName() + "." + f.getName() + "=" + constant.value(), constant.value(), v));
                }
            }
        }
        return checks;
    }

    /** All top-level classes compiled into dev/ember/kvm next to KvmRun.class. */
    private static List<Class<?>> kvmPackageClasses() throws URISyntaxException, IOException, ClassNotFoundException {
        Path root = Path.of(KvmRun.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path pkg = root.resolve("dev/ember/kvm");
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.list(pkg)) {
            for (Path p : (Iterable<Path>) files.sorted()::iterator) {
                String file = p.getFileName().toString();
                if (file.endsWith(".class") && !file.contains("$")) {
                    classes.add(Class.forName("dev.ember.kvm." + file.substring(0, file.length() - 6)));
                }
            }
        }
        return classes;
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        assertEquals(0, rc, String.join(" ", command) + " exited with " + rc + ":\n" + out);
        return out;
    }
}
