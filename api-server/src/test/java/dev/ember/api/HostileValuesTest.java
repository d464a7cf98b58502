package dev.ember.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Values that break file names or number parsing, sent to the real API server: each is a 400
 * naming the field, never a 500, and nothing is created on the way.
 */
class HostileValuesTest extends RunningApiTest {
    @Test
    void aNulInAPathIsRefusedNamingTheField() throws Exception {
        String nul = "\\u0000";
        ApiServerTest.assertFault(http.put("/boot-source", "{\"kernel_image_path\": \"a" + nul + "b\"}"), 400,
                "boot-source.kernel_image_path contains a NUL character");
        ApiServerTest.assertFault(http.put("/drives/d", "{\"drive_id\": \"d\", \"path_on_host\": \"" + dir + "/x" + nul
                + "\", \"is_root_device\": false}"), 400, "drives[d].path_on_host contains a NUL character");
        Path metricsFile = dir.resolve("m.json");
        ApiServerTest.assertFault(http.put("/metrics", "{\"metrics_path\": \"" + metricsFile + nul + ".ignored\"}"), 400,
                "metrics.metrics_path contains a NUL character");
        assertFalse(Files.exists(metricsFile), "nothing is created under the path before the NUL");
        ApiServerTest.assertFault(http.put("/logger", "{\"log_path\": \"" + dir + "/l" + nul + "\"}"), 400,
                "logger.log_path contains a NUL character");
        ApiServerTest.assertFault(http.put("/serial", "{\"serial_out_path\": \"" + dir + "/s" + nul + "\"}"), 400,
                "serial.serial_out_path contains a NUL character");
        ApiServerTest.assertFault(http.put("/snapshot/load", "{\"snapshot_path\": \"/s" + nul + "\", \"mem_file_path\": \"/m\"}"), 400,
                "snapshot_path contains a NUL character");
        ApiServerTest.assertFault(http.put("/snapshot/load", "{\"snapshot_path\": \"/s\", \"mem_file_path\": \"/m" + nul + "\"}"), 400,
                "mem_file_path contains a NUL character");
    }

    @Test
    void aLoneSurrogateIsRefusedNamingTheField() throws Exception {
        ApiServerTest.assertFault(http.put("/boot-source", "{\"kernel_image_path\": \"\\ud800\"}"), 400,
                ApiServerTest.SERDE + "boot-source.kernel_image_path: lone surrogate \\ud800 in a string");
        ApiServerTest.assertFault(http.put("/drives/d", "{\"drive_id\": \"d\", \"path_on_host\": \"x\\udc00\", \"is_root_device\": false}"),
                400, ApiServerTest.SERDE + "drives.path_on_host: lone surrogate \\udc00 in a string");
        ApiServerTest.assertFault(http.put("/mmds", "{\"k\": \"\\ud83d\\u0041\"}"), 400, ApiServerTest.SERDE + "mmds.k: lone surrogate \\ud83d");
        // A real pair is a character, and an escaped backslash before "u" is no escape at all.
        assertEquals(204, http.put("/mmds", "{\"k\": \"\\ud83d\\ude00\", \"j\": \"\\\\ud800\"}").status());
        var mmds = ApiServerTest.json(http.get("/mmds"));
        assertEquals("\ud83d\ude00", mmds.get("k").asText());
        assertEquals("\\ud800", mmds.get("j").asText());
    }

    @Test
    void aNumberOutOfRangeIsRefused() throws Exception {
        for (String number : new String[] {"1E+9999999999", "-1E2147483648", "1.8e308"}) {
            ApiServerTest.assertFault(http.put("/mmds", "{\"a\": " + number + "}"), 400, ApiServerTest.SERDE + "mmds: a number is out of range");
            ApiServerTest.assertFault(http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": " + number + "}"), 400,
                    "");
        }
        assertEquals("{}", http.get("/mmds").body());
        // Within the double range it is a number.
        assertEquals(204, http.put("/mmds", "{\"a\": 1.7e308, \"b\": -1.7e308}").status());
    }

    @Test
    void anEncodedLineBreakInAUrlCannotForgeALogLine() throws Exception {
        Path log = dir.resolve("api.log");
        assertEquals(204, http.put("/logger", "{\"log_path\": \"" + log + "\", \"level\": \"Info\"}").status());
        try {
            http.get("/x%0a2026-01-01T00:00:00.000000000%20[vm1:main]%20forged%0d%0a");
            String text = Files.readString(log);
            for (String line : text.split("\n")) {
                assertFalse(line.startsWith("2026-01-01T00:00:00"), "a forged line reached the log:\n" + text);
            }
            org.junit.jupiter.api.Assertions.assertTrue(text.contains("/x\\n2026-01-01T00:00:00.000000000 [vm1:main] forged\\r\\n"), text);
        } finally {
            dev.ember.logging.Logging.init("test");
        }
    }
}
