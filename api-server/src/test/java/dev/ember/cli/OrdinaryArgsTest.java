package dev.ember.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** {@link OrdinaryArgs} reads a command line exactly as picocli does, or leaves it to picocli. */
class OrdinaryArgsTest {
    private final Main template = new Main(() -> {
        throw new AssertionError("no VMM in this test");
    }, false);

    /** Lines ember is started with by bin/ember users, the jailer, the bench and the tests. */
    private static final List<String[]> ORDINARY = List.of(
            new String[] {},
            new String[] {"--api-sock", "/tmp/a.sock"},
            new String[] {"--api-sock=/tmp/a.sock", "--id", "vm-1"},
            new String[] {"--no-api", "--config-file", "vm.json", "--no-seccomp"},
            new String[] {"--id", "jailed-7", "--api-sock", "/run/api.socket", "--start-time-us", "123456789",
                "--start-time-cpu-us", "4567", "--parent-cpu-time-us", "8910"},
            new String[] {"--level", "debug", "--log-path", "/tmp/log", "--show-level", "--show-log-origin", "--metrics-path", "m.fifo"},
            new String[] {"--level=Warning", "--boot-timer", "--enable-pci", "--http-api-max-payload-size", "1048576", "--mmds-size-limit=2048"},
            new String[] {"--metadata", "md.json", "--seccomp-filter", "filter.json", "--console-escape", "^B"},
            new String[] {"--console-escape=none", "--api-sock", "relative/api.sock"},
            new String[] {"--log-path", "a=b", "--id", "x"},
            new String[] {"--http-api-max-payload-size", "010"});

    @Test
    void ordinaryLinesAreReadWithoutPicocliAndAsPicocliReadsThem() throws Exception {
        for (String[] args : ORDINARY) {
            Main ordinary = OrdinaryArgs.parse(args, template);
            assertNotNull(ordinary, () -> String.join(" ", args) + " should not need picocli");
            Main viaPicocli = template.fresh();
            new CommandLine(viaPicocli).parseArgs(args);
            for (Field f : Main.class.getDeclaredFields()) {
                if (f.isAnnotationPresent(CommandLine.Option.class)) {
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
                new String[] {"--no-such-flag"}, new String[] {"positional"}, new String[] {"--id", "a", "--id", "b"},
                new String[] {"--id=a", "--id", "b"}, new String[] {"--api-sock"}, new String[] {"--api-sock="},
                new String[] {"--api-sock", "--no-api"}, new String[] {"--id", "-x"}, new String[] {"@args.txt"},
                new String[] {"--config-file", "@file"}, new String[] {"--no-api=true", "--config-file", "f"},
                new String[] {"--http-api-max-payload-size", "+5"},
                new String[] {"--http-api-max-payload-size", "0"}, new String[] {"--http-api-max-payload-size", "99999999999"},
                new String[] {"--mmds-size-limit", "0"}, new String[] {"--level", "Loud"}, new String[] {"--console-escape", "^1"},
                new String[] {"--id", "bad_id!"}, new String[] {"--no-api"}, new String[] {"--no-seccomp", "--seccomp-filter", "f"},
                new String[] {"--config-file", "a\0b"}, new String[] {"--api-sock", "/tmp/a", "--"},
                new String[] {"--start-time-us", "1234567890123456789"});
        for (String[] args : unusual) {
            assertNull(OrdinaryArgs.parse(args, template), () -> String.join(" ", args) + " must go to picocli");
        }
    }

    @Test
    void everyOptionPicocliKnowsIsKnownWithTheSameArity() {
        for (OptionSpec o : new CommandLine(template.fresh()).getCommandSpec().options()) {
            String name = o.longestName();
            if (o.usageHelp() || o.versionHelp()) {
                assertTrue(!OrdinaryArgs.FLAGS.contains(name) && !OrdinaryArgs.VALUED.contains(name), name);
                continue;
            }
            boolean flag = o.arity().max() == 0;
            assertTrue(flag ? OrdinaryArgs.FLAGS.contains(name) : OrdinaryArgs.VALUED.contains(name), name + " (flag: " + flag + ")");
            assertEquals(1, o.names().length, name + ": OrdinaryArgs knows long names only");
        }
        assertEquals(OrdinaryArgs.FLAGS.size() + OrdinaryArgs.VALUED.size() + 2,
                new CommandLine(template.fresh()).getCommandSpec().options().size());
    }
}
