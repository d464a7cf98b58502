package dev.ember.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.config.InstanceInfo;
import dev.ember.config.MachineConfig;
import dev.ember.config.MachineConfigs;
import dev.ember.config.StrictJson;
import dev.ember.config.VersionInfo;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The streamed bodies are byte for byte what databind (StrictJson) writes. */
class ResponseJsonTest {
    private static final List<String> AWKWARD = Arrays.asList("", "plain", "quote \" and \\ backslash", "tab\tnew\nline\r",
            "\u0000\u0001\u001f\u007f", "caf\u00e9 \u00fc\u00df", "\u2028\u2029", "emoji \ud83d\ude00", "lone \udfff surrogate",
            "</script>", "a".repeat(5000), null);

    @Test
    void instanceInfoIsWrittenAsDatabindWritesIt() {
        for (String s : AWKWARD) {
            for (InstanceInfo info : List.of(new InstanceInfo(s, "Not started", "0.1.0", "Ember"),
                    new InstanceInfo("vm-1", s, s, s), new InstanceInfo(s, s, s, s))) {
                assertArrayEquals(StrictJson.write(info), ResponseJson.write(info), String.valueOf(info));
            }
        }
    }

    @Test
    void faultsAreWrittenAsDatabindWritesThem() {
        for (String s : AWKWARD) {
            ApiResponse.Fault fault = new ApiResponse.Fault(s);
            assertArrayEquals(StrictJson.write(fault), ResponseJson.write(fault), String.valueOf(s));
        }
    }

    @Test
    void machineConfigsAreWrittenAsDatabindWritesThem() {
        for (MachineConfig config : MachineConfigs.all()) {
            assertEquals(new String(StrictJson.write(config), StandardCharsets.UTF_8),
                    new String(ResponseJson.write(config), StandardCharsets.UTF_8));
        }
    }

    @Test
    void otherBodiesGoThroughDatabind() {
        VersionInfo version = new VersionInfo("0.1.0");
        assertArrayEquals(StrictJson.write(version), ResponseJson.write(version));
    }
}
