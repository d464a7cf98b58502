package dev.ember.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.api.FakeVmm;
import dev.ember.api.UnixHttpClient;
import dev.ember.app.MicroVm;
import dev.ember.sys.InstanceId;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
    @TempDir
    Path dir;
    Path kernel;
    FakeVmm vmm;
    PrintStream realOut = System.out;
    PrintStream realErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void setUp() throws Exception {
        kernel = Files.writeString(dir.resolve("vmlinux"), "k");
        vmm = new FakeVmm();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void tearDown() {
        System.setOut(realOut);
        System.setErr(realErr);
        dev.ember.logging.Logging.init("test");
    }

    private int run(String... args) {
        return Main.run(args, new Main(() -> vmm, false));
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private void assertUsageError(int code, String message) {
        assertEquals(153, code, stderr());
        assertTrue(stderr().startsWith("ember: " + message), stderr());
        assertTrue(stderr().contains("Try 'ember --help' for more information."), stderr());
        assertFalse(stderr().contains("\tat "), stderr());
    }

    @Test
    void helpAndVersion() {
        assertEquals(0, run("--help"));
        String usage = out.toString(StandardCharsets.UTF_8);
        for (String opt : new String[] {"--api-sock", "--config-file", "--no-api", "--id", "--level", "--log-path", "--show-level",
            "--show-log-origin", "--metrics-path", "--boot-timer", "--http-api-max-payload-size", "--no-seccomp", "--seccomp-filter"}) {
            assertTrue(usage.contains(opt), opt + " in\n" + usage);
        }
        out.reset();
        assertEquals(0, run("--version"));
        String version = out.toString(StandardCharsets.UTF_8);
        assertTrue(version.contains("Ember v" + dev.ember.app.EmberVersion.VERSION), version);
        // As Kata Containers reads it: the first line's second word, without its 'v', a semantic
        // version of at least 0.21.1 (its fcMinSupportedVersion).
        String[] fields = version.split("\n")[0].split(" ");
        String[] semver = fields[1].trim().replaceFirst("^v", "").split("\\.");
        assertEquals(3, semver.length, version);
        int[] v = {Integer.parseInt(semver[0]), Integer.parseInt(semver[1]), Integer.parseInt(semver[2])};
        assertTrue(v[0] > 0 || v[1] > 21 || (v[1] == 21 && v[2] >= 1), version);
        assertEquals("Firecracker", fields[0], version);
    }

    @Test
    void instanceIdsAreOneTo64LettersDigitsOrDashes() {
        for (String ok : new String[] {"a", "vm-1", "A-z-0-9", "x".repeat(64), "-"}) {
            assertTrue(InstanceId.isValid(ok), ok);
        }
        for (String bad : new String[] {"", "x".repeat(65), "a_b", "a b", "vm.1", "\u00e9t\u00e9", "a/b", "a\n"}) {
            assertFalse(InstanceId.isValid(bad), bad);
        }
    }

    @Test
    void argumentErrorsExit153() {
        assertUsageError(run("--no-such-flag"), "Unknown option: '--no-such-flag'");
        err.reset();
        assertUsageError(run("--id", "bad_id!"), "Invalid instance ID: --id 'bad_id!' must be 1 to 64 letters, digits or '-'");
        err.reset();
        assertUsageError(run("--id", "a".repeat(65)), "Invalid instance ID");
        err.reset();
        assertUsageError(run("--no-api"), "--no-api needs --config-file");
        err.reset();
        assertUsageError(run("--level", "Loud"), "Invalid value for option '--level': invalid log level \"Loud\"");
        err.reset();
        assertUsageError(run("--http-api-max-payload-size", "lots"), "Invalid value for option '--http-api-max-payload-size'");
        err.reset();
        assertUsageError(run("--http-api-max-payload-size", "0"), "--http-api-max-payload-size must be a positive number");
        err.reset();
        assertUsageError(run("--no-seccomp", "--seccomp-filter", "f.json"), "--no-seccomp and --seccomp-filter exclude each other");
        assertTrue(vmm.calls.isEmpty());
    }

    @Test
    void configErrorsExit152() throws Exception {
        Path cfg = Files.writeString(dir.resolve("c.json"), "{\"machine-config\": {\"vcpu_count\": 0, \"mem_size_mib\": 64}}");
        assertEquals(152, run("--no-api", "--no-seccomp", "--config-file", cfg.toString()));
        assertTrue(stderr().contains("machine-config.vcpu_count is 0"), stderr());
        assertFalse(stderr().contains("\tat "), stderr());
        err.reset();
        assertEquals(152, run("--no-api", "--no-seccomp", "--config-file", dir.resolve("none.json").toString()));
        assertTrue(stderr().contains("config file " + dir.resolve("none.json") + " does not exist"), stderr());
        err.reset();
        Path noKernel = Files.writeString(dir.resolve("k.json"), "{\"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 64}}");
        assertEquals(152, run("--no-api", "--no-seccomp", "--config-file", noKernel.toString()));
        assertTrue(stderr().contains("Cannot start microvm without kernel configuration."), stderr());
        err.reset();
        Path ok = Files.writeString(dir.resolve("ok.json"), "{\"boot-source\": {\"kernel_image_path\": \"" + kernel + "\"}}");
        vmm.failStartWith = "cannot start the microVM: not a kernel";
        assertEquals(152, run("--no-api", "--no-seccomp", "--config-file", ok.toString()));
        assertTrue(stderr().contains("ember: cannot start the microVM: not a kernel"), stderr());
        err.reset();
        assertEquals(152, run("--no-api", "--no-seccomp", "--config-file", ok.toString(), "--log-path", dir + "/no/dir/log"));
        assertTrue(stderr().contains("logger.log_path: cannot open " + dir + "/no/dir/log"), stderr());
    }

    @Test
    void aStopRequestedBeforeTheConfigFilesMicrovmStartsIsNotABadConfiguration() throws Exception {
        Path ok = Files.writeString(dir.resolve("ok.json"), "{\"boot-source\": {\"kernel_image_path\": \"" + kernel + "\"}}");
        // What a SIGTERM right after start does: the VMM is shut down before the file's InstanceStart.
        dev.ember.app.KvmMicroVm stopped = new dev.ember.app.KvmMicroVm();
        stopped.shutdown();
        assertEquals(0, Main.run(new String[] {"--no-api", "--no-seccomp", "--config-file", ok.toString()},
                new Main(() -> stopped, false)), stderr());
        assertFalse(stderr().contains("ember: "), stderr());
    }

    @Test
    void guestMemoryTheHostCannotBackIsRefusedWithTheFigures() throws Exception {
        long hostMib = 0;
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:") || line.startsWith("SwapTotal:")) {
                hostMib += Long.parseLong(line.replaceAll("[^0-9]", "")) >> 10;
            }
        }
        Path big = Files.writeString(dir.resolve("big.json"), "{\"boot-source\": {\"kernel_image_path\": \"" + kernel
                + "\"}, \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": " + (hostMib + 2048) + "}}");
        assertEquals(152, Main.run(new String[] {"--no-api", "--no-seccomp", "--config-file", big.toString()},
                new Main(dev.ember.app.KvmMicroVm::new, false)), stderr());
        assertTrue(stderr().contains("machine-config.mem_size_mib is " + (hostMib + 2048) + " MiB, more than this host can back"),
                stderr());
    }

    @Test
    void aNulInAConfigFilePathIsABadConfiguration() throws Exception {
        Path cfg = Files.writeString(dir.resolve("nul.json"), "{\"boot-source\": {\"kernel_image_path\": \"" + kernel
                + "\\u0000.old\"}}");
        assertEquals(152, run("--no-api", "--no-seccomp", "--config-file", cfg.toString()));
        assertTrue(stderr().contains("boot-source.kernel_image_path contains a NUL character"), stderr());
        err.reset();
        Path surrogate = Files.writeString(dir.resolve("surrogate.json"), "{\"boot-source\": {\"kernel_image_path\": \"\\udfff\"}}");
        assertEquals(152, run("--no-api", "--no-seccomp", "--config-file", surrogate.toString()));
        assertTrue(stderr().contains("lone surrogate \\udfff"), stderr());
    }

    @Test
    void noApiBootsFromTheFileAndExitsWithTheVmsCode() throws Exception {
        Path cfg = Files.writeString(dir.resolve("c.json"), "{\"boot-source\": {\"kernel_image_path\": \"" + kernel
                + "\", \"boot_args\": \"console=ttyS0\"}, \"machine-config\": {\"vcpu_count\": 2, \"mem_size_mib\": 64}}");
        Thread guest = new Thread(() -> {
            while (vmm.state() != MicroVm.State.RUNNING) {
                Thread.onSpinWait();
            }
            vmm.end(3);
        });
        guest.start();
        assertEquals(3, run("--no-api", "--no-seccomp", "--boot-timer", "--config-file", cfg.toString()));
        guest.join();
        assertEquals("console=ttyS0", vmm.startedWith.bootSource().bootArgs());
        assertEquals(2, vmm.startedWith.machineConfig().vcpus());
        assertTrue(vmm.startedWith.bootTimer());
    }

    @Test
    void apiModeServesUntilStoppedAndRemovesTheSocket() throws Exception {
        Path sock = dir.resolve("api.sock");
        Path log = dir.resolve("ember.log");
        Path metrics = dir.resolve("metrics.json");
        Path metadata = Files.writeString(dir.resolve("md.json"), "{\"latest\": {\"id\": \"i-7\"}}");
        AtomicInteger code = new AtomicInteger(-1);
        Thread main = new Thread(() -> code.set(run("--api-sock", sock.toString(), "--no-seccomp", "--id", "vm-7",
                "--log-path", log.toString(), "--level", "debug", "--show-level", "--show-log-origin",
                "--metrics-path", metrics.toString(), "--metadata", metadata.toString())));
        main.start();
        assertTrue(UnixHttpClient.awaitListening(sock, main::isAlive));
        UnixHttpClient http = new UnixHttpClient(sock);
        assertTrue(http.get("/").body().contains("\"id\":\"vm-7\""));
        assertEquals("{\"latest\":{\"id\":\"i-7\"}}", http.get("/mmds").body());
        assertEquals(204, http.put("/actions", "{\"action_type\": \"FlushMetrics\"}").status());
        vmm.shutdown(); // what SIGTERM does
        main.join();
        assertEquals(0, code.get());
        assertFalse(Files.exists(sock), "socket removed on exit");
        String logText = Files.readString(log);
        // GET / is answered on the HTTP I/O thread; other requests on the controller's thread.
        assertTrue(java.util.regex.Pattern.compile("\\[vm-7:ember-api-io:INFO:dev/ember/api/ApiHandler\\.java:\\d+\\] The API server"
                + " received a GET request on \"/\"\\.").matcher(logText).find(), logText);
        assertTrue(java.util.regex.Pattern.compile("\\[vm-7:ember-vmm-ctl:INFO:dev/ember/api/ApiHandler\\.java:\\d+\\] The API server"
                + " received a GET request on \"/mmds\"\\.").matcher(logText).find(), logText);
        assertTrue(logText.contains(":DEBUG:"), "debug level is on\n" + logText);
        assertTrue(Files.readString(metrics).contains("\"process_startup_time_us\""));
    }

    @Test
    void configFileAndApiTogether() throws Exception {
        Path sock = dir.resolve("api.sock");
        Path cfg = Files.writeString(dir.resolve("c.json"), "{\"boot-source\": {\"kernel_image_path\": \"" + kernel + "\"}}");
        AtomicInteger code = new AtomicInteger(-1);
        Thread main = new Thread(() -> code.set(run("--api-sock", sock.toString(), "--no-seccomp", "--config-file", cfg.toString())));
        main.start();
        for (int i = 0; i < 6000 && vmm.state() != MicroVm.State.RUNNING; i++) {
            Thread.sleep(10);
        }
        assertTrue(new UnixHttpClient(sock).get("/").body().contains("\"state\":\"Running\""));
        vmm.end(0);
        main.join();
        assertEquals(0, code.get());
    }

    @Test
    void busySocketIsAGenericError() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (var other = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            other.bind(java.net.UnixDomainSocketAddress.of(sock));
            assertEquals(1, run("--api-sock", sock.toString(), "--no-seccomp"));
            assertTrue(stderr().contains("another process is already listening on " + sock), stderr());
        }
    }
}
