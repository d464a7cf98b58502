package dev.ember.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.config.InstanceInfo;
import dev.ember.config.MachineConfig;
import dev.ember.config.MachineConfigs;
import dev.ember.config.StrictJson;
import dev.ember.config.BalloonConfig;
import dev.ember.config.BalloonHintingStatus;
import dev.ember.config.BalloonStats;
import dev.ember.config.CpuConfig;
import dev.ember.config.MemoryHotplugStatus;
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
    void recordsThatWriteThemselvesAreWrittenAsDatabindWritesThem() {
        List<Long> longs = Arrays.asList(null, 0L, 1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE);
        List<Boolean> flags = Arrays.asList(null, true, false);
        List<Object> bodies = new java.util.ArrayList<>();
        for (String s : AWKWARD) {
            bodies.add(new VersionInfo(s));
        }
        for (Long l : longs) {
            long p = l == null ? 7 : l;
            bodies.add(new MemoryHotplugStatus(p, 2, 128, p, 0));
            bodies.add(new BalloonHintingStatus(p, l));
            bodies.add(new BalloonStats(p, p, 1, 2, l, l, null, l, l, null, l, l, l, null, l, null, l, l, null, l));
            for (Boolean f : flags) {
                bodies.add(new BalloonConfig(l, f, l, f, f));
            }
        }
        for (Object body : bodies) {
            assertEquals(new String(StrictJson.write(body), StandardCharsets.UTF_8),
                    new String(ResponseJson.write(body), StandardCharsets.UTF_8), String.valueOf(body));
        }
    }

    @Test
    void otherBodiesGoThroughDatabind() {
        CpuConfig none = new CpuConfig(null, null, null, null, null);
        assertArrayEquals(StrictJson.write(none), ResponseJson.write(none));
    }
}
