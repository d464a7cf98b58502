package dev.ember.jailer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The host's mounts from {@code /proc/mounts}, to find where the cgroup hierarchies are. */
final class MountTable {
    record Mount(String source, Path mountPoint, String fsType, Set<String> options) {}

    private MountTable() {}

    static List<Mount> read() {
        try {
            return parse(Files.readAllLines(Path.of("/proc/mounts")));
        } catch (IOException e) {
            throw new JailerException("cannot read /proc/mounts to find the cgroup hierarchies: " + e.getMessage(), e);
        }
    }

    static List<Mount> parse(List<String> lines) {
        List<Mount> mounts = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split(" ");
            if (f.length >= 4) {
                mounts.add(new Mount(unescape(f[0]), Path.of(unescape(f[1])), f[2], Set.of(f[3].split(","))));
            }
        }
        return mounts;
    }

    /** /proc/mounts writes space, tab, newline and backslash in paths as \\ooo octal escapes. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
