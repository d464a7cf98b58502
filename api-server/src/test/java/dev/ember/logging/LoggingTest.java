package dev.ember.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.config.ConfigException;
import dev.ember.config.LogLevel;
import dev.ember.config.LoggerConfig;
import dev.ember.config.MetricsConfig;
import dev.ember.config.StrictJson;
import dev.ember.log.Log;
import dev.ember.log.RateLimitedLog;
import dev.ember.metrics.Counter;
import dev.ember.metrics.Metrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoggingTest {
    private static final System.Logger LOG = Log.logger(LoggingTest.class);

    @TempDir
    Path dir;

    @AfterEach
    void reset() {
        Logging.init("test");
    }

    @Test
    void lineFormatFollowsFirecracker() {
        java.time.Instant t = java.time.Instant.parse("2026-01-02T03:04:05.123456789Z");
        assertEquals("2026-01-02T03:04:05.123456789 [vm1:vcpu0] disk is slow\n",
                new LogFormat("vm1", false, false).format(t, System.Logger.Level.WARNING, "disk is slow", null, "vcpu0", "dev.ember.X"));
        // Not logged through a logger (no caller frame): the origin is the logger's name.
        assertEquals("2026-01-02T03:04:05.123456789 [vm1:vcpu0:WARN:dev.ember.X] disk is slow\n",
                new LogFormat("vm1", true, true).format(t, System.Logger.Level.WARNING, "disk is slow", null, "vcpu0", "dev.ember.X"));
        assertEquals("2026-01-02T03:04:05.123456789 [vm1:main:ERROR:dev.ember.X] failed: java.io.IOException: gone\n",
                new LogFormat("vm1", true, true).format(t, System.Logger.Level.ERROR, "failed", new java.io.IOException("gone"), "main", "dev.ember.X"));
    }

    /**
     * Undertow's and XNIO's lines (jboss-logging) reach the same log through Ember's provider,
     * which jboss-logging picks from META-INF/services, with their level, parameters and origin.
     */
    @Test
    void jbossLoggingLinesGoToTheSameLog() throws Exception {
        Path log = dir.resolve("jboss.log");
        Logging.configure(new LoggerConfig(log.toString(), LogLevel.Info, true, true, null));
        org.jboss.logging.Logger jboss = org.jboss.logging.Logger.getLogger("io.undertow.test");
        assertTrue(jboss instanceof JbossLogger, jboss.getClass().getName());
        jboss.debugf("not shown at %s", "Info");
        jboss.warnf("listener %s failed %d times", "api", 3);
        int line = new Throwable().getStackTrace()[0].getLineNumber() - 1;
        jboss.errorv("closing {0}", "channel");
        String text = Files.readString(log);
        assertFalse(text.contains("not shown"), text);
        assertTrue(text.contains(":main:WARN:dev/ember/logging/LoggingTest.java:" + line + "] listener api failed 3 times\n"), text);
        assertTrue(text.contains(":main:ERROR:dev/ember/logging/LoggingTest.java:" + (line + 2) + "] closing channel\n"), text);
    }

    /** The JDK's own java.util.logging records (the VMM's JdkLogConfig handler) reach the same log, levelled as before. */
    @Test
    void jdkLoggingRecordsGoToTheSameLog() throws Exception {
        Path log = dir.resolve("jdk.log");
        Logging.configure(new LoggerConfig(log.toString(), LogLevel.Debug, true, null, null));
        JdkLogHandler handler = new JdkLogHandler();
        java.util.logging.LogRecord r = new java.util.logging.LogRecord(java.util.logging.Level.FINE, "exit {0}");
        r.setLoggerName("java.lang.Runtime");
        r.setParameters(new Object[] {0});
        handler.publish(r);
        java.util.logging.LogRecord finer = new java.util.logging.LogRecord(java.util.logging.Level.FINER, "too fine");
        finer.setLoggerName("java.lang.Runtime");
        handler.publish(finer);
        String text = Files.readString(log);
        assertTrue(text.contains(":main:DEBUG] exit 0\n"), text);
        assertFalse(text.contains("too fine"), text);
    }

    /** A rate-limited line names the code that logged it, not RateLimitedLog. */
    @Test
    void aRateLimitedLineNamesItsCaller() throws Exception {
        Path log = dir.resolve("limited.log");
        Logging.configure(new LoggerConfig(log.toString(), LogLevel.Info, false, true, null));
        new RateLimitedLog(LOG, 1, 1000).log(System.Logger.Level.WARNING, () -> "limited");
        int line = new Throwable().getStackTrace()[0].getLineNumber() - 1;
        assertTrue(Files.readString(log).endsWith(":main:dev/ember/logging/LoggingTest.java:" + line + "] limited\n"), Files.readString(log));
    }

    /** Trace writes everything; a message's {0} parameters are filled in as java.util.logging did. */
    @Test
    void traceLevelAndParameters() throws Exception {
        Path log = dir.resolve("trace.log");
        Logging.configure(new LoggerConfig(log.toString(), LogLevel.Trace, true, null, null));
        LOG.log(System.Logger.Level.TRACE, "vcpu {0} exit {1}", 2, "hlt");
        LOG.log(System.Logger.Level.INFO, () -> "supplied");
        String text = Files.readString(log);
        assertTrue(text.contains(":main:TRACE] vcpu 2 exit hlt\n"), text);
        assertTrue(text.contains(":main:INFO] supplied\n"), text);
    }

    @Test
    void fileLoggingLevelsAndOrigin() throws Exception {
        Path log = dir.resolve("ember.log");
        Logging.init("vm9");
        Logging.configure(new LoggerConfig(log.toString(), LogLevel.Warning, true, true, null));
        LOG.log(System.Logger.Level.INFO, "not shown at Warning");
        LOG.log(System.Logger.Level.WARNING, "shown");
        String text = Files.readString(log);
        assertFalse(text.contains("not shown"), text);
        int line = new Throwable().getStackTrace()[0].getLineNumber() - 3; // the WARNING call above
        assertTrue(text.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9} \\[vm9:main:WARN:dev/ember/logging/LoggingTest\\.java:"
                + line + "\\] shown\\n"), "log was: [" + text + "]");
        // Fields not given keep their value; Debug is now on.
        Logging.configure(new LoggerConfig(null, LogLevel.Debug, null, null, null));
        LOG.log(System.Logger.Level.DEBUG, "debug line");
        assertTrue(Files.readString(log).contains(":DEBUG:dev/ember/logging/LoggingTest.java:"), Files.readString(log));
        Logging.configure(new LoggerConfig(null, LogLevel.Off, null, null, null));
        LOG.log(System.Logger.Level.ERROR, "silenced");
        assertFalse(Files.readString(log).contains("silenced"));
    }

    @Test
    void moduleFilterKeepsOnlyThatLoggerPrefix() throws Exception {
        Path log = dir.resolve("m.log");
        Logging.configure(new LoggerConfig(log.toString(), LogLevel.Info, null, null, "dev.ember.api"));
        LOG.log(System.Logger.Level.INFO, "from logging");
        Log.logger("dev.ember.api.Something").log(System.Logger.Level.INFO, "from api");
        String text = Files.readString(log);
        assertFalse(text.contains("from logging"));
        assertTrue(text.contains("from api"));
    }

    @Test
    void fullFifoDropsAndCountsInsteadOfBlocking() throws Exception {
        Path fifo = dir.resolve("log.fifo");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertTrue(mk.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, mk.exitValue());
        Counter missed = Metrics.group("logger").counter("missed_log_count");
        long before = missed.get();
        // Nobody reads: the pipe fills (64 KiB by default) and later writes are dropped.
        try (NonBlockingSink sink = NonBlockingSink.open(fifo.toString(), missed)) {
            String line = "x".repeat(1000) + "\n";
            int written = 0;
            for (int i = 0; i < 200; i++) {
                if (sink.write(line)) {
                    written++;
                }
            }
            assertTrue(written > 0 && written < 200, "written " + written);
            assertEquals(200 - written, missed.get() - before);
        }
    }

    @Test
    void unopenablePathIsAConfigError() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Logging.configure(new LoggerConfig(dir + "/missing/dir/log", null, null, null, null)));
        assertTrue(e.getMessage().startsWith("logger.log_path: cannot open " + dir + "/missing/dir/log: No such file or directory"),
                e.getMessage());
    }

    @Test
    void metricsLinesCarryDeltasSinceTheLastFlush() throws Exception {
        Counter c = Metrics.group("test_group").counter("events");
        Path out = dir.resolve("metrics.json");
        try (MetricsWriter w = new MetricsWriter()) {
            assertFalse(w.flush(), "nothing configured yet");
            w.configure(new MetricsConfig(out.toString()));
            c.add(5);
            assertTrue(w.flush());
            c.add(2);
            assertTrue(w.flush());
            assertThrows(ConfigException.class, () -> w.configure(new MetricsConfig(out.toString())));
        }
        String[] lines = Files.readString(out).split("\n");
        assertTrue(lines.length >= 2);
        var first = StrictJson.MAPPER.readTree(lines[0]);
        var second = StrictJson.MAPPER.readTree(lines[1]);
        assertEquals(5, first.at("/test_group/events").asLong());
        assertEquals(2, second.at("/test_group/events").asLong());
        assertTrue(second.get("utc_timestamp_ms").asLong() >= first.get("utc_timestamp_ms").asLong());
        assertTrue(MetricsWriter.openMetrics().contains("\nember_test_group_events_total 7\n"), MetricsWriter.openMetrics());
        assertEquals("ember_a_b_c", MetricsWriter.sanitize("ember_a-b.c"));
    }

    @Test
    void gaugesAreReportedAsStoredValuesNotDeltas() throws Exception {
        dev.ember.metrics.Gauge g = dev.ember.metrics.Metrics.group("test_latencies").gauge("load_us");
        g.set(1234);
        var first = StrictJson.MAPPER.readTree(MetricsWriter.snapshotLine(1));
        var second = StrictJson.MAPPER.readTree(MetricsWriter.snapshotLine(2));
        assertEquals(1234, first.at("/test_latencies/load_us").asLong());
        assertEquals(1234, second.at("/test_latencies/load_us").asLong(), "a gauge is not reset by a flush");
        String prom = MetricsWriter.openMetrics();
        assertTrue(prom.contains("# TYPE ember_test_latencies_load_us gauge\nember_test_latencies_load_us 1234\n"), prom);
        dev.ember.app.LatencyMetrics.register();
        assertTrue(MetricsWriter.openMetrics().contains("\nember_latencies_us_vmm_load_snapshot "), "latencies_us group registered");
    }

    /** The line is written with jackson-core: the same bytes databind writes for the same tree (order, number forms). */
    @Test
    void aMetricsLineIsWhatDatabindWritesForItsTree() throws Exception {
        dev.ember.metrics.Metrics.group("test_line").counter("events").add(Long.MAX_VALUE);
        dev.ember.metrics.Metrics.group("test_line").gauge("level").set(-1);
        String line = MetricsWriter.snapshotLine(Long.MIN_VALUE);
        assertTrue(line.endsWith("}\n") && line.indexOf('\n') == line.length() - 1, line);
        assertEquals(new String(StrictJson.write(StrictJson.MAPPER.readTree(line)), java.nio.charset.StandardCharsets.UTF_8) + "\n", line);
        assertTrue(line.contains("\"test_line\":{\"events\":" + Long.MAX_VALUE + ",\"level\":-1}"), line);
    }
}
