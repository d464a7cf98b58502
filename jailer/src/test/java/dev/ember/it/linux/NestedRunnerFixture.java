package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tests with known outcomes for {@link NestedRunnerTest}, which runs them through
 * {@link NestedRunner} in a child JVM. Not a test of anything by itself: the name ends in
 * neither Test nor IT, so no build selects it, and outside that child JVM every method skips.
 */
@GuestUserSpace
@TestMethodOrder(MethodOrderer.MethodName.class)
class NestedRunnerFixture {
    static final String ENABLED = "ember.nestedRunnerFixture";

    @BeforeEach
    void onlyUnderNestedRunnerTest() {
        assumeTrue(Boolean.getBoolean(ENABLED), "runs only under NestedRunnerTest");
    }

    @Test
    void a_passes() {}

    @Test
    void b_fails() {
        fail("the fixture's failure");
    }

    @Test
    void c_aborts() {
        assumeTrue(false, "the fixture's assumption");
    }

    /** Hangs (in a blocking read of a child's output, as a stuck test does) on its first attempt only. */
    @Test
    void d_hangsOnce() throws Exception {
        Path mark = Path.of(System.getProperty("ember.nestedRunnerFixture.dir"), "hung-once");
        if (!Files.exists(mark)) {
            Files.createFile(mark);
            hangInChild();
        }
    }

    @Test
    void e_hangsAlways() throws Exception {
        hangInChild();
    }

    /** Counts its runs: the test of a frozen L1's recovery checks that a finished test is not run again. */
    @Test
    void f_countsItsRuns() throws Exception {
        Files.writeString(Path.of(System.getProperty("ember.nestedRunnerFixture.dir"), "f-runs"), "run\n",
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    /** Fails on its first run, after d_ and e_ hung in this class: taken as the hang's collateral and run again. */
    @Test
    void g_failsOnceAfterAHangInItsClass() throws Exception {
        Path mark = Path.of(System.getProperty("ember.nestedRunnerFixture.dir"), "g-ran");
        if (!Files.exists(mark)) {
            Files.createFile(mark);
            fail("the fixture's collateral failure");
        }
    }

    /** Fails twice as a guest that triple-faulted would (the ember log line in the message): a third attempt. */
    @Test
    void h_seesATripleFaultTwice() throws Exception {
        Path first = Path.of(System.getProperty("ember.nestedRunnerFixture.dir"), "h-ran");
        Path second = Path.of(System.getProperty("ember.nestedRunnerFixture.dir"), "h-ran-twice");
        if (!Files.exists(second)) {
            Files.createFile(Files.exists(first) ? second : first);
            fail("no init marker\n--- stderr ---\n[vm:fc_vcpu 0] fc_vcpu 0: KVM_EXIT_SHUTDOWN (triple fault or guest reset) at RIP 0xfff0");
        }
    }

    /** Fails once as a test whose guest stopped making progress does (EmberProcess's message): a second attempt. */
    @Test
    void i_seesItsGuestStallOnce() throws Exception {
        Path mark = Path.of(System.getProperty("ember.nestedRunnerFixture.dir"), "i-ran");
        if (!Files.exists(mark)) {
            Files.createFile(mark);
            throw new AssertionError("ember did not exit within PT2M\n--- stdout ---\n[    0.036449] ACPI: XSDT 0x00000000000E0230 0");
        }
    }

    /** A guest that never prints what the test waits for, on both attempts: failed after the second. */
    @Test
    void j_seesItsGuestStallAlways() {
        throw new AssertionError("ember never printed /EMBER-INIT: ready/ (timed out)\n--- stdout ---\n");
    }

    /**
     * A parameterized test, as the block io_engine checks are: its invocations exist only once it
     * runs. The second hangs on its first run, so the template runs again.
     */
    @ParameterizedTest
    @ValueSource(strings = {"sync", "async"})
    void k_isParameterized(String engine) throws Exception {
        Path mark = Path.of(System.getProperty("ember.nestedRunnerFixture.dir"), "k-" + engine + "-ran");
        if (!Files.exists(mark)) {
            Files.createFile(mark);
            if (engine.equals("async")) {
                hangInChild();
            }
        }
    }

    private static void hangInChild() throws Exception {
        Process p = new ProcessBuilder("sleep", "600").start();
        p.getInputStream().readAllBytes();
    }
}
