package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A class whose shared guest triple-faults while the class sets up, for {@link NestedRunnerTest}:
 * its {@code @BeforeAll} fails with the ember log line of a KVM_EXIT_SHUTDOWN as many times as
 * {@code ember.nestedRunnerFixture.setUpFaults} says, then succeeds. Like {@link NestedRunnerFixture},
 * no build selects it and outside NestedRunnerTest's child JVM it skips.
 */
@GuestUserSpace
class NestedRunnerSetUpFixture {
    static final String FAULTS = "ember.nestedRunnerFixture.setUpFaults";

    @BeforeAll
    static void bootTheSharedGuest() throws Exception {
        assumeTrue(Boolean.getBoolean(NestedRunnerFixture.ENABLED), "runs only under NestedRunnerTest");
        Path runs = Path.of(System.getProperty("ember.nestedRunnerFixture.dir"), "set-up-runs");
        Files.writeString(runs, "run\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        if (Files.readAllLines(runs).size() <= Integer.getInteger(FAULTS, 0)) {
            fail("the shared guest has no init marker\n--- stderr ---\n"
                    + "[vm:fc_vcpu 1] fc_vcpu 1: KVM_EXIT_SHUTDOWN (triple fault or guest reset) at RIP 0xffffffff81a0c0de");
        }
    }

    @Test
    void a_usesTheSharedGuest() {}

    @Test
    void b_usesItToo() {}
}
