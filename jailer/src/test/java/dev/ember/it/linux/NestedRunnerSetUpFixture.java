package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A class whose shared guest triple-faults or stalls while the class sets up, for {@link NestedRunnerTest}:
 * its {@code @BeforeAll} fails with the ember log line of a KVM_EXIT_SHUTDOWN as many times as
 * {@code ember.nestedRunnerFixture.setUpFaults} says, or with a test's wait for the guest running out
 * as many times as {@code ember.nestedRunnerFixture.setUpStalls} says, then succeeds. Like {@link NestedRunnerFixture},
 * no build selects it and outside NestedRunnerTest's child JVM it skips.
 */
@GuestUserSpace
class NestedRunnerSetUpFixture {
    static final String FAULTS = "ember.nestedRunnerFixture.setUpFaults";
    /** How many set-ups fail the way a guest that went quiet while booting fails them (the test's wait ran out). */
    static final String STALLS = "ember.nestedRunnerFixture.setUpStalls";

    @BeforeAll
    static void bootTheSharedGuest() throws Exception {
        assumeTrue(Boolean.getBoolean(NestedRunnerFixture.ENABLED), "runs only under NestedRunnerTest");
        Path runs = Path.of(System.getProperty("ember.nestedRunnerFixture.dir"), "set-up-runs");
        Files.writeString(runs, "run\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        if (Files.readAllLines(runs).size() <= Integer.getInteger(FAULTS, 0)) {
            fail("the shared guest has no init marker\n--- stderr ---\n"
                    + "[vm:fc_vcpu 1] fc_vcpu 1: KVM_EXIT_SHUTDOWN (triple fault or guest reset) at RIP 0xffffffff81a0c0de");
        }
        if (Files.readAllLines(runs).size() <= Integer.getInteger(STALLS, 0)) {
            throw new AssertionError("ember never printed /^EMBER-INIT: shell/ (timed out)\n--- stdout ---\n[    0.028990] Zone ran");
        }
    }

    @Test
    void a_usesTheSharedGuest() {}

    @Test
    void b_usesItToo() {}
}
