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
        // serde's words and position (the key's closing quote), the fields in declaration order; then ours
        assertEquals("unknown field `vcpus`, expected one of `vcpu_count`, `mem_size_mib`, `smt`, `track_dirty_pages`, `cpu_template`,"
                + " `huge_pages` at line 1 column 46. machine-config has no field `vcpus`; remove it or correct its name", msg);
    }

    @Test
    void stringIsNotCoercedToInteger() {
        String msg = error("{\"vcpu_count\": \"2\", \"mem_size_mib\": 256}", MachineConfig.class);
        assertEquals("invalid type: string \"2\", expected u8 at line 1 column 18. machine-config.vcpu_count must be an integer", msg);
    }

    @Test
    void floatIsNotCoercedToInteger() {
        String msg = error("{\"vcpu_count\": 1.5, \"mem_size_mib\": 256}", MachineConfig.class);
        assertEquals("invalid type: floating point `1.5`, expected u8 at line 1 column 18. machine-config.vcpu_count must be an integer", msg);
    }

    @Test
    void integerIsNotCoercedToBoolean() {
        String msg = error("{\"vcpu_count\": 1, \"mem_size_mib\": 256, \"smt\": 1}", MachineConfig.class);
        assertEquals("invalid type: integer `1`, expected a boolean at line 1 column 47. machine-config.smt must be a boolean (true or false)", msg);
    }

    @Test
    void stringIsNotCoercedToBoolean() {
        String msg = error("{\"vcpu_count\": 1, \"mem_size_mib\": 256, \"smt\": \"true\"}", MachineConfig.class);
        assertTrue(msg.startsWith("invalid type: string \"true\", expected a boolean at line 1 column 52. machine-config.smt must be a boolean"), msg);
    }

    @Test
    void integerIsNotCoercedToString() {
        String msg = error("{\"kernel_image_path\": 5}", BootSourceConfig.class);
        assertEquals("invalid type: integer `5`, expected a string at line 1 column 23. machine-config.kernel_image_path must be a string", msg);
    }

    @Test
    void enumValueListsAcceptedValues() {
        String msg = error("{\"vcpu_count\": 1, \"mem_size_mib\": 256, \"huge_pages\": \"1G\"}", MachineConfig.class);
        assertEquals("unknown variant `1G`, expected one of `None`, `Transparent`, `2M` at line 1 column 57."
                + " Set machine-config.huge_pages to one of: None, Transparent, 2M", msg);
    }

    @Test
    void nestedPathIsNamed() {
        String msg = error("{\"drive_id\": \"a\", \"is_root_device\": true, \"rate_limiter\": {\"ops\": {\"size\": \"x\"}}}",
                DriveConfig.class);
        assertTrue(msg.startsWith("invalid type: string \"x\", expected u64 at line 1 column 78. machine-config.rate_limiter.ops.size must be"), msg);
        String unknown = error("{\"drive_id\": \"a\", \"rate_limiter\": {\"ops\": {\"sz\": 1}}}", DriveConfig.class);
        assertTrue(unknown.startsWith("unknown field `sz`, expected one of `size`, `one_time_burst`, `refill_time` at line 1 column 47."
                + " machine-config.rate_limiter.ops has no field `sz`"), unknown);
    }

    @Test
    void syntaxErrorsAreReportedWithPosition() {
        String msg = error("{\"vcpu_count\": 1,", MachineConfig.class);
        assertTrue(msg.startsWith("EOF while parsing a value at line 1 column 17. machine-config is not JSON: "), msg);
    }

    @Test
    void duplicateKeysTrailingContentAndEmptyBodiesAreErrors() {
        String duplicate = error("{\"vcpu_count\": 1, \"vcpu_count\": 2}", MachineConfig.class);
        assertTrue(duplicate.startsWith("duplicate field `vcpu_count` at line 1"), duplicate);
        assertTrue(error("{\"vcpu_count\": 1, \"mem_size_mib\": 1} {}", MachineConfig.class).contains("trailing characters at line 1"));
        assertTrue(error("", MachineConfig.class).contains("the body is empty"));
        assertTrue(error("null", MachineConfig.class).contains("expected a JSON object, got null"));
        assertTrue(error("[1]", MachineConfig.class).startsWith("invalid type: sequence, expected a map. machine-config must be a JSON object"));
    }

    @Test
    void logLevelIsCaseInsensitive() throws Exception {
        assertEquals(LogLevel.Debug, parse("{\"level\": \"debug\"}", LoggerConfig.class).level());
        assertEquals(LogLevel.Warning, parse("{\"level\": \"WARNING\"}", LoggerConfig.class).level());
        assertEquals(LogLevel.Warning, parse("{\"level\": \"Warn\"}", LoggerConfig.class).level());
        assertTrue(error("{\"level\": \"loud\"}", LoggerConfig.class).contains("invalid value at line 1 column 16. machine-config.level: invalid log level \"loud\"; use one of Error, Warning, Info, Debug, Trace, Off"));
    }

    @Test
    void serialisesWithFirecrackerNamesAndWithoutNulls() {
        String json = new String(StrictJson.write(MachineConfig.DEFAULT), StandardCharsets.UTF_8);
        assertEquals("{\"vcpu_count\":1,\"mem_size_mib\":128,\"smt\":false,\"track_dirty_pages\":false,\"huge_pages\":\"None\"}", json);
    }
}
