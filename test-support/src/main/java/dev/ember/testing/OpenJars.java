package dev.ember.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The jars a process holds open, read from /proc/PID/fd: what the JVM has read of its class path. */
public final class OpenJars {
    private OpenJars() {}

    /** The open jars' names without version and extension ({@code xnio-api} for xnio-api-3.8.16.Final.jar), sorted. */
    public static List<String> of(long pid) throws IOException {
        List<String> jars = new ArrayList<>();
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds.toList()) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    continue; // closed since listed
                }
                if (target.endsWith(".jar")) {
                    jars.add(target.substring(target.lastIndexOf('/') + 1).replaceAll("-\\d.*", ""));
                }
            }
        }
        jars.sort(null);
        return jars;
    }
}
