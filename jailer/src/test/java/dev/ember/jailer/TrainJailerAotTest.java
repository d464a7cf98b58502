package dev.ember.jailer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.testing.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11 item 9: the build's jailer AOT training step once failed bin/build under load ("the
 * training run recorded nothing"). A cache is an optimisation, so the step (the real
 * train-jailer-aot.sh, run against a repository whose bin/ember-jailer is a stand-in) tries the
 * recording twice and then lets the build go on without a cache, saying why; the same when the
 * cache cannot be created from a recording.
 */
class TrainJailerAotTest {
    @TempDir
    Path fake;

    /** A repository with the real bin/lib/common.sh and a bin/ember-jailer that runs {@code body}. */
    private Path repoWithJailer(String body) throws IOException {
        Path repo = JailHarness.repo();
        Files.createDirectories(fake.resolve("bin/lib"));
        Files.createDirectories(fake.resolve("jailer/target"));
        Files.copy(repo.resolve("bin/lib/common.sh"), fake.resolve("bin/lib/common.sh"));
        Path jailer = fake.resolve("bin/ember-jailer");
        Files.writeString(jailer, "#!/bin/sh\necho run >> \"" + fake.resolve("runs") + "\"\n" + body + "\n");
        Files.setPosixFilePermissions(jailer, PosixFilePermissions.fromString("rwxr-xr-x"));
        return fake;
    }

    private static HostCommand.Result train(Path repo) throws Exception {
        return HostCommand.run(Duration.ofSeconds(120), "bash", JailHarness.repo().resolve("jailer/src/build/train-jailer-aot.sh").toString(),
                repo.toString());
    }

    private int runs() throws IOException {
        return Files.exists(fake.resolve("runs")) ? Files.readAllLines(fake.resolve("runs")).size() : 0;
    }

    private static void assumeJdk25() {
        assumeTrue(Files.isExecutable(Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java")),
                "the AOT cache needs JDK 25; without it the step is skipped before training");
    }

    @Test
    void aTrainingRunThatRecordsNothingTwiceLeavesTheBuildGoingWithoutACache() throws Exception {
        assumeJdk25();
        Path repo = repoWithJailer("echo 'the jailer stand-in was too slow under load' >&2\nexit 1");
        HostCommand.Result r = train(repo);
        assertEquals(0, r.exit(), r.output());
        assertEquals(2, runs(), "recorded twice before giving up");
        assertTrue(r.output().contains("the training run recorded nothing (twice); ember-jailer runs without an AOT cache"), r.output());
        assertTrue(r.output().contains("  the jailer stand-in was too slow under load"), "the run's output is shown: " + r.output());
        assertFalse(Files.exists(repo.resolve("jailer/target/ember-jailer.aot")));
    }

    @Test
    void aRecordingFromWhichNoCacheCanBeMadeLeavesTheBuildGoingWithoutACache() throws Exception {
        assumeJdk25();
        // Records (writes the configuration file named in EMBER_JAILER_AOT=record:<file>), but
        // creating the cache fails.
        Path repo = repoWithJailer("case \"$EMBER_JAILER_AOT\" in\n  record:*) echo conf > \"${EMBER_JAILER_AOT#record:}\"; exit 1;;\n"
                + "  *) echo 'cannot create the cache' >&2; exit 1;;\nesac");
        HostCommand.Result r = train(repo);
        assertEquals(0, r.exit(), r.output());
        assertEquals(2, runs(), "one recording, one creation");
        assertTrue(r.output().contains("no cache was created; ember-jailer runs without one"), r.output());
        assertTrue(r.output().contains("  cannot create the cache"), r.output());
        assertFalse(Files.exists(repo.resolve("jailer/target/ember-jailer.aot")));
    }
}
