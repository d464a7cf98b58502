package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.api.UnixHttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/ember maps the AOT cache trained for its mode (bin/train-aot): a {@code --no-api} VMM the
 * one trained without the API, whose classes it never uses but would load at start and pay for
 * in private memory; an API VMM the API one.
 *
 * <p>Not {@link NeedsKvm} as a whole: the API-only checks run on any host. The three that boot
 * need this host's /dev/kvm, not the nested tier's: bin/train-aot boots a guest while it trains,
 * so where the build ran without KVM the cache has no boot path to check.
 */
class LauncherAotCacheIT {
    @TempDir
    Path dir;

    private static final Path TARGET = EmberProcess.repo().resolve("api-server/target");

    /**
     * The caches as bin/build leaves them: the build's own packaging rewrites the jar, which makes
     * them stale (bin/ember then maps none), so train them again here (a no-op when fresh).
     */
    @BeforeAll
    static void train() throws Exception {
        Process p = new ProcessBuilder(EmberProcess.repo().resolve("bin/train-aot").toString())
                .directory(EmberProcess.repo().toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES), out);
        assertEquals(0, p.exitValue(), out);
    }

    @BeforeEach
    void cachesBuilt() throws Exception {
        Path jar;
        try (var files = Files.list(TARGET)) {
            jar = files.filter(p -> p.getFileName().toString().matches("api-server-.*\\d(-SNAPSHOT)?\\.jar")).findFirst().orElse(null);
        }
        for (String cache : new String[] {"ember.aot", "ember-noapi.aot"}) {
            Path f = TARGET.resolve(cache);
            Assumptions.assumeTrue(jar != null && Files.isRegularFile(f)
                    && !Files.getLastModifiedTime(jar).toInstant().isAfter(Files.getLastModifiedTime(f).toInstant()),
                    cache + " missing or older than the jar after bin/train-aot (a JDK older than 25 has no AOT cache)");
        }
    }

    /** For the checks that boot: the cache holds a boot path only where the training could boot. */
    private static void assumeTrainedWithKvm() {
        Assumptions.assumeTrue(Host.hasKvm(), () -> Host.noKvmReason()
                + "; and the AOT training here could not boot a guest, so its cache has no boot path to check");
    }

    private static String maps(EmberProcess vm) throws Exception {
        return Files.readString(Path.of("/proc/" + vm.pid() + "/maps"));
    }

    @Test
    void aNoApiVmmMapsTheCacheTrainedWithoutTheApi() throws Exception {
        assumeTrainedWithKvm();
        try (EmberProcess vm = EmberProcess.boot(TestGuests.config(dir, "idle").toString())) {
            vm.awaitStdout("tick 1", Duration.ofSeconds(60));
            String maps = maps(vm);
            assertTrue(maps.contains("/ember-noapi.aot"), maps);
            assertFalse(maps.contains("/ember.aot"), maps);
            vm.stopCleanly();
        }
    }

    /**
     * bin/ember finds the repository without readlink/dirname/ls processes when named by a plain
     * absolute path, and with them otherwise: named relatively, with '..' in the path, or through a
     * symbolic link (as an orchestrator names it firecracker), the JVM gets the same class path
     * the cache was trained with (else it refuses the cache with a warning on stderr) and serves.
     */
    @Test
    void theApiCacheIsUsedHoweverTheLauncherIsNamed() throws Exception {
        Path link = java.nio.file.Files.createSymbolicLink(dir.resolve("firecracker"), EmberProcess.repo().resolve("bin/ember"));
        String[] launchers = {"bin/ember", EmberProcess.repo() + "/bin/../bin/ember", link.toString(),
            EmberProcess.repo().resolve("bin/ember").toString()};
        for (int i = 0; i < launchers.length; i++) {
            Path sock = dir.resolve("api" + i + ".sock");
            // sh drops the absolute bin/ember startVia adds and execs the launcher under test (cwd: the repository).
            try (EmberProcess vm = EmberProcess.startVia(List.of("sh", "-c", "shift; exec \"$0\" \"$@\"", launchers[i]),
                    "--api-sock", sock.toString())) {
                assertEquals(200, vm.api(sock).get("/").status(), launchers[i] + ": " + vm.describe());
                String maps = maps(vm);
                assertTrue(maps.contains("/ember.aot"), launchers[i] + "\n" + maps);
                assertFalse(vm.stderr().contains("[aot]") || vm.stderr().contains("[cds]"), launchers[i] + ": " + vm.stderr());
                vm.stopCleanly();
            }
        }
    }

    /**
     * With the cache, the API's start spins no class on the JVM's main thread up to the first
     * answer: every generated class there (method-handle forms, proxies, type switches) is one the
     * cache cannot hold, made with the ClassFile API at every start. Two were: the routes' counters
     * keyed by the Route record (its hashCode and equals through method handles: six classes) and
     * the seccomp log line's {0} parameter (MessageFormat's number formatting: a type switch).
     */
    @Test
    void theApiStartSpinsNoClassOnTheMainThread() throws Exception {
        Path classes = dir.resolve("classes.log");
        try (EmberProcess vm = EmberProcess.servingWithClassLog(dir.resolve("api.sock"), classes)) {
            for (String line : vm.classesLoadedBy("java", classes)) {
                // Generated classes are named .../0x<address>; those the cache holds say "shared objects file".
                assertFalse(line.contains("/0x") && !line.contains("source: shared objects file"), "generated at start: " + line);
            }
            vm.stopCleanly();
        }
    }

    /**
     * A snapshot load's first steps are in the API cache: bin/train-aot idles after GET / so that
     * the VMM runs them ahead (LoadAhead), and their classes come from the cache, not the jars.
     * And a boot formats no number through MessageFormat: the VM's "created VM" and first-KVM_RUN
     * log lines took {0} parameters, and the first number a MessageFormat formats spins a type
     * switch in DecimalFormat and sets up number formatting (~10 ms, on every start and load).
     */
    @Test
    void aLoadsFirstStepsAreCachedAndABootFormatsNoNumber() throws Exception {
        assumeTrainedWithKvm();
        Path classes = dir.resolve("classes.log");
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.servingWithClassLog(sock, classes)) {
            assertTrue(Files.readAllLines(classes).stream()
                    .anyMatch(l -> l.contains("dev.ember.config.VmConfigFile$Streamed source: shared objects file")),
                    "the streamed reader of a recorded configuration is not in the cache");
            UnixHttpClient http = vm.api(sock);
            assertEquals(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + TestGuests.image()
                    + "\", \"boot_args\": \"console=ttyS0 ember.test=idle\"}").status());
            assertEquals(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}").status());
            vm.awaitStdout("tick 1", Duration.ofSeconds(60));
            vm.awaitStderr("vcpu0 entering first KVM_RUN at monotonic \\d+ ns", Duration.ofSeconds(60));
            List<String> spun = Files.readAllLines(classes).stream().filter(l -> l.contains("DecimalFormat$$TypeSwitch")).toList();
            assertEquals(List.of(), spun, "a number was formatted through MessageFormat during the boot");
            vm.stopCleanly();
        }
    }

    /**
     * Up to the first answer the VMM reads no jar it does not need: with the cache, classes come
     * from the cache, and the JDK reads a jar's whole directory when a look-up first reaches it.
     * Three look-ups used to walk the whole class path before the API was ready (12-15 ms of CPU):
     * the JDK's search for a logging back-end (System.getLogger, java.util.logging), jboss-logging's
     * for its provider and its localised message classes, and NIO's for a SelectorProvider. What is
     * left open: Ember's jar, vmm-core's (the second match of jboss-logging's service look-up, which
     * the JDK reads ahead for) and xnio-api's (XNIO reads its version from a resource there).
     */
    @Test
    void theApiReadsNoJarItDoesNotNeedUpToTheFirstAnswer() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.serving(sock)) {
            List<String> jars = dev.ember.testing.OpenJars.of(vm.pid());
            assertEquals(List.of("api-server", "vmm-core", "xnio-api"), jars, vm.describe());
            vm.stopCleanly();
        }
    }

    /**
     * A boot through the API reads no further jar either, with the VMM's stdin a pipe (as
     * ProcessBuilder, the bench and orchestrators give it): the serial console then takes input and
     * checks for a terminal (dev.ember.sys.Termios). The training run had /dev/null there, so that
     * class came from its jar, and a class the cache lacks is looked for in every jar before its
     * own in class-path order (sys is 17th: 15 directories read, +8 ms to InstanceStart) once no jar
     * is read before ready; bin/train-aot now gives the training VMM a pipe too. The API's own jars
     * may be read (undertow-core sometimes is, for a connection's close path the training did not
     * take); none after them in class-path order, where every device and binding class lives.
     */
    @Test
    void aBootWithAPipeOnStdinReadsNoFurtherJar() throws Exception {
        assumeTrainedWithKvm();
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.serving(sock)) {
            UnixHttpClient http = vm.api(sock);
            assertEquals(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + TestGuests.image()
                    + "\", \"boot_args\": \"console=ttyS0 ember.test=idle\"}").status());
            assertEquals(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}").status());
            vm.awaitStdout("tick 1", Duration.ofSeconds(60));
            List<String> jars = dev.ember.testing.OpenJars.of(vm.pid());
            assertTrue(List.of("api-server", "undertow-core", "vmm-core", "xnio-api").containsAll(jars),
                    "jars read by a boot: " + jars + "\n" + vm.describe());
            vm.stopCleanly();
        }
    }

    @Test
    void anApiVmmMapsTheApiCache() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.serving(sock)) {
            String maps = maps(vm);
            assertTrue(maps.contains("/ember.aot"), maps);
            assertFalse(maps.contains("/ember-noapi.aot"), maps);
            vm.stopCleanly();
        }
    }
}
