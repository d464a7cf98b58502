package dev.ember.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StrictJsonTest {
    private static <T> T parse(String json, Class<T> type) throws ConfigException {
        return StrictJson.parse(json.getBytes(StandardCharsets.UTF_8), type, "machine-config");
    }

    private static String error(String json, Class<?> type) {
        return assertThrows(ConfigException.class, () -> parse(json, type)).getMessage();
    }

    @Test
    void parsesFirecrackerNames() throws Exception {
        MachineConfig m = parse("{\"vcpu_count\": 2, \"mem_size_mib\": 256, \"smt\": false, \"huge_pages\": \"2M\"}",
                MachineConfig.class);
        assertEquals(2L, m.vcpuCount());
        assertEquals(256L, m.memSizeMib());
        assertEquals(HugePages.Hugetlbfs2M, m.hugePages());
        assertEquals(false, m.trackDirtyPages());
    }

    @Test
    void unknownFieldNamesFieldAndAcceptedOnes() {
        String msg = error("{\"vcpu_count\": 2, \"mem_size_mib\": 256, \"vcpus\": 3}", MachineConfig.class);
        assertTrue(msg.startsWith("unknown field `vcpus` in machine-config; accepted fields: "), msg);
        assertTrue(msg.contains("vcpu_count") && msg.contains("mem_size_mib") && msg.contains("huge_pages"), msg);
    }

    @Test
    void stringIsNotCoercedToInteger() {
        String msg = error("{\"vcpu_count\": \"2\", \"mem_size_mib\": 256}", MachineConfig.class);
        assertTrue(msg.startsWith("invalid type for machine-config.vcpu_count: expected an integer"), msg);
    }

    @Test
    void floatIsNotCoercedToInteger() {
        String msg = error("{\"vcpu_count\": 1.5, \"mem_size_mib\": 256}", MachineConfig.class);
        assertTrue(msg.startsWith("invalid type for machine-config.vcpu_count: expected an integer"), msg);
    }

    @Test
    void integerIsNotCoercedToBoolean() {
        String msg = error("{\"vcpu_count\": 1, \"mem_size_mib\": 256, \"smt\": 1}", MachineConfig.class);
        assertTrue(msg.startsWith("invalid type for machine-config.smt: expected a boolean (true or false)"), msg);
    }

    @Test
    void stringIsNotCoercedToBoolean() {
        String msg = error("{\"vcpu_count\": 1, \"mem_size_mib\": 256, \"smt\": \"true\"}", MachineConfig.class);
        assertTrue(msg.startsWith("invalid type for machine-config.smt: expected a boolean"), msg);
    }

    @Test
    void integerIsNotCoercedToString() {
        String msg = error("{\"kernel_image_path\": 5}", BootSourceConfig.class);
        assertTrue(msg.startsWith("invalid type for machine-config.kernel_image_path: expected a string"), msg);
    }

    @Test
    void enumValueListsAcceptedValues() {
        String msg = error("{\"vcpu_count\": 1, \"mem_size_mib\": 256, \"huge_pages\": \"1G\"}", MachineConfig.class);
        assertEquals("unknown variant `1G`, expected one of `None`, `Transparent`, `2M` for machine-config.huge_pages"
                + " (line 1, column 54)", msg);
    }

    @Test
    void nestedPathIsNamed() {
        String msg = error("{\"drive_id\": \"a\", \"is_root_device\": true, \"rate_limiter\": {\"ops\": {\"size\": \"x\"}}}",
                DriveConfig.class);
        assertTrue(msg.startsWith("invalid type for machine-config.rate_limiter.ops.size: expected an integer"), msg);
        String unknown = error("{\"drive_id\": \"a\", \"rate_limiter\": {\"ops\": {\"sz\": 1}}}", DriveConfig.class);
        assertTrue(unknown.startsWith("unknown field `sz` in machine-config.rate_limiter.ops; accepted fields: "
                + "one_time_burst, refill_time, size"), unknown);
    }

    @Test
    void syntaxErrorsAreReportedWithPosition() {
        String msg = error("{\"vcpu_count\": 1,", MachineConfig.class);
        assertTrue(msg.startsWith("machine-config: malformed JSON: "), msg);
        assertTrue(msg.contains("(line 1"), msg);
    }

    @Test
    void duplicateKeysTrailingContentAndEmptyBodiesAreErrors() {
        assertTrue(error("{\"vcpu_count\": 1, \"vcpu_count\": 2}", MachineConfig.class).contains("Duplicate field"));
        assertTrue(error("{\"vcpu_count\": 1} {}", MachineConfig.class).contains("unexpected content after the JSON value"));
        assertTrue(error("", MachineConfig.class).contains("the body is empty"));
        assertTrue(error("null", MachineConfig.class).contains("expected a JSON object, got null"));
        assertTrue(error("[1]", MachineConfig.class).startsWith("invalid type for machine-config: expected a JSON object"));
    }

    @Test
    void logLevelIsCaseInsensitive() throws Exception {
        assertEquals(LogLevel.Debug, parse("{\"level\": \"debug\"}", LoggerConfig.class).level());
        assertEquals(LogLevel.Warning, parse("{\"level\": \"WARNING\"}", LoggerConfig.class).level());
        assertEquals(LogLevel.Warning, parse("{\"level\": \"Warn\"}", LoggerConfig.class).level());
        assertTrue(error("{\"level\": \"loud\"}", LoggerConfig.class).contains("invalid value for machine-config.level: invalid log level \"loud\"; use one of Error, Warning, Info, Debug, Trace, Off"));
    }

    @Test
    void serialisesWithFirecrackerNamesAndWithoutNulls() {
        String json = new String(StrictJson.write(MachineConfig.DEFAULT), StandardCharsets.UTF_8);
        assertEquals("{\"vcpu_count\":1,\"mem_size_mib\":128,\"smt\":false,\"track_dirty_pages\":false,\"huge_pages\":\"None\"}", json);
    }
}
