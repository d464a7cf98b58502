package dev.ember.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.api.UnixHttpClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code ember} as its own process (the real VMM from the class path, the built-in seccomp
 * filter on) and talks to it with curl, as a user would: signals must end it with status 0 and
 * remove the API socket.
 */
class MainProcessTest {
    @TempDir
    Path dir;

    private Process start(String... args) throws IOException {
        return startWithJvmOptions(List.of(), args);
    }

    private Process startWithJvmOptions(List<String> jvmOptions, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        // A build started in the background inherits SIGINT ignored, and an ignored signal stays
        // ignored across exec; give the child the default dispositions a shell user would have.
        cmd.add("env");
        cmd.add("--default-signal=INT,TERM,HUP");
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.ember.cli.Main");
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile()).start();
    }

    private String curl(Path sock, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--unix-socket", sock.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static void awaitSocket(Path sock, Process p) throws InterruptedException {
        UnixHttpClient.awaitListening(sock, p::isAlive);
    }

    private String output() throws IOException {
        return Files.readString(dir.resolve("out.txt"));
    }

    @Test
    void sigtermUnderTheDefaultSeccompFilterExitsZeroAndRemovesTheSocket() throws Exception {
        Path sock = dir.resolve("api.sock");
        Process p = start("--api-sock", sock.toString(), "--id", "proc-1");
        try {
            awaitSocket(sock, p);
            assertTrue(Files.exists(sock), output());
            assertTrue(curl(sock, "http://localhost/").contains("\"id\":\"proc-1\""), output());
            assertEquals("", curl(sock, "-X", "PUT", "-d", "{\"vcpu_count\": 2, \"mem_size_mib\": 256}", "http://localhost/machine-config"));
            assertTrue(curl(sock, "http://localhost/machine-config").contains("\"vcpu_count\":2"));
            assertTrue(curl(sock, "-X", "PUT", "-d", "{\"vcpu_count\": 0}", "http://localhost/machine-config").contains("fault_message"));
            assertTrue(curl(sock, "http://localhost/openapi").contains("\"openapi\":\"3.0.3\""));
            assertTrue(output().contains("seccomp filter installed"), output());
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), output());
            assertFalse(Files.exists(sock), "socket removed");
            assertFalse(output().contains("\tat "), output());
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * A first request whose body must be skipped (a GET with a body, answered 400 by the HTTP
     * layer): XNIO opens /dev/null read-write to drain it, which the api filter forbids on the I/O
     * thread. Before UnixHttpServer initialised those classes itself, 6 of 10 such processes died
     * with SIGSYS (audit: syscall=257 on ember-api-io). Three processes, as one did not always die.
     */
    @Test
    void aFirstRequestWithABodyToSkipIsAnsweredUnderTheApiFilter() throws Exception {
        for (int i = 0; i < 3; i++) {
            Path sock = dir.resolve("skip" + i + ".sock");
            Process p = start("--api-sock", sock.toString(), "--id", "skip-" + i);
            try {
                awaitSocket(sock, p);
                String answer = curl(sock, "-X", "GET", "-H", "Content-Type: application/json", "-d", "{\"a\": 1}",
                        "-w", "%{http_code}", "http://localhost/");
                assertTrue(answer.endsWith("400"), answer + "\n" + output());
                assertTrue(curl(sock, "http://localhost/").contains("\"id\":\"skip-" + i + "\""), "still serving\n" + output());
                assertTrue(p.isAlive(), output());
            } finally {
                p.destroy();
                p.waitFor(30, TimeUnit.SECONDS);
                p.destroyForcibly();
            }
        }
    }

    @Test
    void sigintExitsZero() throws Exception {
        Path sock = dir.resolve("api.sock");
        Process p = start("--api-sock", sock.toString(), "--no-seccomp");
        try {
            awaitSocket(sock, p);
            assertTrue(Files.exists(sock), output());
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start();
            assertTrue(kill.waitFor(30, TimeUnit.SECONDS));
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), output());
            assertFalse(Files.exists(sock));
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * libc is called through jffi's invoker with no generated code (jnr-ffi's binding generated a
     * class with ASM and native stubs in executable memory, ~120 ms of CPU after the API served,
     * which an early InstanceStart waited for): a process that served requests and opened the
     * logger's file with open(2) under the seccomp filter loaded LibC and none of ASM, jnr-ffi
     * or its x86 assembler.
     */
    @Test
    void libcWorksUnderTheFilterWithoutGeneratedCode() throws Exception {
        Path sock = dir.resolve("api.sock");
        Path classes = dir.resolve("classes.txt");
        Process p = startWithJvmOptions(List.of("-Xlog:class+load=info:file=" + classes), "--api-sock", sock.toString());
        try {
            awaitSocket(sock, p);
            assertTrue(curl(sock, "http://localhost/").contains("\"state\":\"Not started\""), output());
            assertEquals("", curl(sock, "-X", "PUT", "-d", "{\"vcpu_count\": 1, \"mem_size_mib\": 32}", "http://localhost/machine-config"));
            // libc under the filter, on the controller's thread: the logger's file is opened with open(2).
            Path logFile = Files.createFile(dir.resolve("ember.log"));
            assertEquals("", curl(sock, "-X", "PUT", "-d", "{\"log_path\": \"" + logFile + "\", \"level\": \"Info\"}",
                    "http://localhost/logger"), output());
            assertEquals("", curl(sock, "-X", "PUT", "-d", "{\"vcpu_count\": 2, \"mem_size_mib\": 32}", "http://localhost/machine-config"));
            p.destroy();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), output());
            assertTrue(Files.readString(logFile).contains("Ember exiting"), Files.readString(logFile));
            String loaded = Files.readString(classes);
            assertTrue(loaded.contains("dev.ember.sys.LibC "), "LibC was used: " + loaded.length() + " bytes of class-load log");
            for (String generated : List.of("org.objectweb.asm.", "jnr.ffi.", "jnr.x86asm.")) {
                assertFalse(loaded.contains(generated), generated + " was loaded");
            }
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * The API runs without JMX: XNIO's NIO provider registered MBeans, which started the platform
     * MBean server (JMX and JFR providers) in every process. Nor is picocli loaded for an ordinary
     * command line (OrdinaryArgs reads it). The class-loading log of a process that served requests
     * shows none of it.
     */
    @Test
    void apiServesRequestsWithoutLoadingJmxOrPicocli() throws Exception {
        Path sock = dir.resolve("api.sock");
        Path classes = dir.resolve("classes.txt");
        Process p = startWithJvmOptions(List.of("-Xlog:class+load=info:file=" + classes), "--api-sock", sock.toString());
        try {
            awaitSocket(sock, p);
            assertTrue(curl(sock, "http://localhost/").contains("\"state\":\"Not started\""), output());
            assertEquals("", curl(sock, "-X", "PUT", "-d", "{\"vcpu_count\": 2, \"mem_size_mib\": 256}", "http://localhost/machine-config"));
            assertTrue(curl(sock, "-X", "PUT", "-d", "{\"vcpu_count\": 0}", "http://localhost/machine-config").contains("fault_message"));
            String loaded = Files.readString(classes);
            for (String jmx : List.of("javax.management.MBeanServer ", "java.lang.management.ManagementFactory ",
                    "sun.management.", "org.xnio.nio.", "org.jboss.threads.EnhancedQueueExecutor$Builder ",
                    "picocli.")) {
                assertFalse(loaded.contains(jmx), jmx + " was loaded");
            }
            assertTrue(loaded.contains("dev.ember.api.ApiWorker "), "the log lists classes: " + loaded.length() + " bytes");
            p.destroy();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), output());
        } finally {
            p.destroyForcibly();
        }
    }
}
