package dev.ember.seccomp.json;

import dev.ember.seccomp.BpfCompiler;
import dev.ember.seccomp.BpfFilterFile;
import dev.ember.seccomp.BpfProgram;
import dev.ember.seccomp.SeccompFilter;
import dev.ember.seccomp.SeccompFilterException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Ember's seccompiler: JSON filters in, a compiled filter file ({@link BpfFilterFile}) out. The
 * build runs it on the built-in filters (api-server's pom, process-classes phase), so the VMM
 * installs them at start without Jackson or the compiler; users can run it on their own file and
 * pass the result to {@code --seccomp-filter}.
 *
 * <p>Usage: {@code SeccompCompiler INPUT.json OUTPUT.bpf}; exit 0, or 1 with the error on stderr.
 */
public final class SeccompCompiler {
    private SeccompCompiler() {}

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: SeccompCompiler INPUT.json OUTPUT.bpf");
            System.exit(2);
        }
        try {
            Path out = Path.of(args[1]);
            byte[] compiled = compile(Path.of(args[0]));
            Path parent = out.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path tmp = parent.resolve(out.getFileName() + ".tmp");
            Files.write(tmp, compiled);
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (SeccompFilterException | IOException e) {
            System.err.println("seccompiler: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Reads the JSON file and returns the compiled filter file's bytes. */
    public static byte[] compile(Path json) {
        return BpfFilterFile.write(compileAll(SeccompFilters.load(json)));
    }

    static Map<String, BpfProgram> compileAll(Map<String, SeccompFilter> filters) {
        Map<String, BpfProgram> programs = new LinkedHashMap<>();
        filters.forEach((category, filter) -> {
            try {
                programs.put(category, BpfCompiler.compile(filter));
            } catch (SeccompFilterException e) {
                throw new SeccompFilterException("filter \"" + category + "\": " + e.getMessage(), e);
            }
        });
        return programs;
    }
}
