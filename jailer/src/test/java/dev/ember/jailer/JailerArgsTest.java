package dev.ember.jailer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** {@link JailerArgs} reads a command line exactly as picocli does, or leaves it to picocli. */
class JailerArgsTest {
    @TempDir
    Path dir;

    /** Lines the jailer is started with by orchestrators, the docs, the bench and the tests. */
    private static final List<String[]> ORDINARY = List.of(
            new String[] {"--id", "vm1", "--exec-file", "bin/ember"},
            new String[] {"--id", "vm1", "--exec-file", "/i/bin/ember", "--uid", "64123", "--gid", "64123", "--chroot-base-dir", "/tmp/j"},
            new String[] {"--id=vm-2", "--exec-file=/i/bin/ember", "--daemonize", "--cgroup-version", "2",
                "--cgroup", "memory.max=536870912", "--cgroup", "cpu.max=100000 100000", "--netns", "/var/run/netns/vm1",
                "--", "--config-file", "/vm.json"},
            new String[] {"--exec-file", "e", "--id", "x", "--no-new-pid-ns", "--resource-limit", "fsize=1024",
                "--resource-limit=no-file=64", "--parent-cgroup", "ember/vms", "--uid-range", "70000-70999"},
            new String[] {"--id", "x", "--exec-file", "e", "--new-pid-ns", "--main-class", "dev.ember.it.Probe", "--"},
            new String[] {"--id", "x", "--exec-file", "e", "--uid", "010", "--", "--level", "Debug", "-x", "--id", "y"});

    @Test
    void ordinaryLinesAreReadWithoutPicocliAndAsPicocliReadsThem() throws Exception {
        for (String[] args : ORDINARY) {
            JailerCommand ordinary = JailerArgs.parse(args);
            assertNotNull(ordinary, () -> String.join(" ", args) + " should not need picocli");
            JailerCommand viaPicocli = new JailerCommand();
            new CommandLine(viaPicocli).parseArgs(args);
            for (Field f : JailerCommand.class.getDeclaredFields()) {
                if (f.isAnnotationPresent(CommandLine.Option.class) || f.isAnnotationPresent(CommandLine.Parameters.class)) {
                    f.setAccessible(true);
                    assertEquals(f.get(viaPicocli), f.get(ordinary), () -> f.getName() + " after " + String.join(" ", args));
                }
            }
        }
    }

    @Test
    void anythingUnusualIsLeftToPicocli() {
        List<String[]> unusual = List.of(
                new String[] {"--help"}, new String[] {"-h"}, new String[] {"-V"}, new String[] {"--version"},
                new String[] {}, new String[] {"--id", "x"}, new String[] {"--exec-file", "e"},
                new String[] {"--id", "x", "--exec-file", "e", "--no-such-option"},
                new String[] {"--id", "x", "--exec-file", "e", "positional"},
                new String[] {"--id", "x", "--id", "y", "--exec-file", "e"},
                new String[] {"--id", "x", "--exec-file", "e", "--new-pid-ns", "--no-new-pid-ns"},
                new String[] {"--id", "x", "--exec-file", "e", "--daemonize=true"},
                new String[] {"--id", "x", "--exec-file", "e", "--uid"},
                new String[] {"--id", "x", "--exec-file", "e", "--uid", "-1"},
                new String[] {"--id", "x", "--exec-file", "e", "--uid", "+5"},
                new String[] {"--id", "x", "--exec-file", "e", "--uid", "9999999999"},
                new String[] {"--id", "x", "--exec-file", "e", "--gid", "0x10"},
                new String[] {"--id", "", "--exec-file", "e"}, new String[] {"--id=", "--exec-file", "e"},
                new String[] {"--id", "@ids", "--exec-file", "e"}, new String[] {"@args.txt"},
                new String[] {"--id", "x", "--exec-file", "e", "--", "@vmm-args.txt"},
                new String[] {"--id", "x", "--exec-file", "a\0b"});
        for (String[] args : unusual) {
            assertNull(JailerArgs.parse(args), () -> String.join(" ", args) + " must go to picocli");
        }
    }

    @Test
    void everyOptionPicocliKnowsIsKnownWithTheSameArity() {
        List<OptionSpec> options = new CommandLine(new JailerCommand()).getCommandSpec().options();
        int known = 0;
        for (OptionSpec o : options) {
            String name = o.longestName();
            if (o.usageHelp() || o.versionHelp()) {
                continue;
            }
            known++;
            if (o.negatable()) {
                assertTrue(JailerArgs.FLAGS.contains(name) && JailerArgs.FLAGS.contains(name.replace("--", "--no-")), name);
                continue;
            }
            boolean flag = o.arity().max() == 0;
            boolean repeated = o.isMultiValue();
            assertTrue(flag ? JailerArgs.FLAGS.contains(name) : (repeated ? JailerArgs.REPEATED : JailerArgs.VALUED).contains(name),
                    name + " (flag: " + flag + ", repeated: " + repeated + ")");
            assertEquals(1, o.names().length, name + ": JailerArgs knows long names only");
        }
        // --new-pid-ns counts twice in FLAGS (with its --no- form).
        assertEquals(JailerArgs.FLAGS.size() - 1 + JailerArgs.VALUED.size() + JailerArgs.REPEATED.size(), known);
    }

    /**
     * The jailer's own JVM reads an ordinary command line without loading picocli (whose Java 5
     * class files the AOT cache cannot hold): its class-loading log shows none, and a mistake
     * found after the parse (here: the exec file is no runtime image) is still one clear line.
     */
    @Test
    void theJailerStartsWithoutLoadingPicocli() throws Exception {
        Path classes = dir.resolve("classes.txt");
        Path out = dir.resolve("out.txt");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xlog:class+load=info:file=" + classes, "-cp", System.getProperty("java.class.path"), "dev.ember.jailer.Main",
                "--id", "vm-1", "--exec-file", dir.resolve("not-an-image/bin/ember").toString(), "--uid", "1000", "--gid", "1000"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String output = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(2, p.exitValue(), output);
        assertTrue(output.startsWith("ember-jailer: --exec-file"), output);
        String loaded = Files.readString(classes);
        assertTrue(loaded.contains("dev.ember.jailer.JailerArgs "), "the log lists classes: " + loaded.length() + " bytes");
        assertFalse(loaded.contains("picocli."), "picocli was loaded");
    }
}
