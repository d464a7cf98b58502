package dev.ember.seccomp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * x86_64 system call names and numbers (the resource {@code x86_64-syscalls.txt}, generated from
 * the kernel's {@code asm/unistd_64.h}; a test checks it against the installed headers). Filters
 * name calls; the compiled program compares numbers.
 */
public final class SyscallTable {
    private static final Map<String, Integer> BY_NAME = load();

    private SyscallTable() {}

    /** The number of system call {@code name}; a {@link SeccompFilterException} if there is none. */
    public static int number(String name) {
        Integer nr = BY_NAME.get(name);
        if (nr == null) {
            throw new SeccompFilterException("unknown x86_64 system call \"" + name + "\" (names as in asm/unistd_64.h, e.g. \"openat\")");
        }
        return nr;
    }

    public static boolean contains(String name) {
        return BY_NAME.containsKey(name);
    }

    public static Map<String, Integer> all() {
        return Collections.unmodifiableMap(BY_NAME);
    }

    private static Map<String, Integer> load() {
        Map<String, Integer> map = new HashMap<>();
        try (InputStream in = SyscallTable.class.getResourceAsStream("x86_64-syscalls.txt")) {
            if (in == null) {
                throw new IllegalStateException("resource dev/ember/seccomp/x86_64-syscalls.txt is missing from the build");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = r.readLine()) != null; ) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\\s+");
                map.put(f[0], Integer.parseInt(f[1]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return map;
    }
}
