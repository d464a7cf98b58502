package dev.ember.api;

import static dev.ember.api.ApiServerTest.NOT_AFTER;
import static dev.ember.api.ApiServerTest.assertFault;
import static dev.ember.api.ApiServerTest.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.app.MicroVm;
import dev.ember.config.CpuTemplate;
import dev.ember.config.VmResources;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * PUT /cpu-config and machine-config.cpu_template over the real API socket: Firecracker's
 * template format accepted, each bad field answered 400 naming it and the fix, one template at a
 * time (the last set wins), GET /vm/config showing what was set and reading back as a config
 * file, the pre-boot-only phase, and the Deprecation header on cpu_template.
 */
class CpuConfigApiTest extends RunningApiTest {
    /** Masks LAHF_LM (extended leaf ECX bit 0), forces leaf 1's stepping to 10, sets SYSENTER_ESP's low byte. */
    static final String TEMPLATE = """
            {
              "kvm_capabilities": ["0", "!56"],
              "cpuid_modifiers": [
                {"leaf": "0x80000001", "subleaf": "0x0", "flags": 0,
                 "modifiers": [{"register": "ecx", "bitmap": "0bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0"}]},
                {"leaf": "0x1", "subleaf": "0b0", "flags": 0,
                 "modifiers": [{"register": "eax", "bitmap": "0b1010"}]}
              ],
              "msr_modifiers": [{"addr": "0x175", "bitmap": "0b0000_0000_1111_1111"}]
            }""";

    @Test
    void aTemplateInFirecrackersFormatIsKeptAndShownInVmConfig() throws Exception {
        assertEquals(204, http.put("/cpu-config", TEMPLATE).status());
        JsonNode cpu = json(http.get("/vm/config")).get("cpu-config");
        assertEquals("0x80000001", cpu.at("/cpuid_modifiers/0/leaf").asText());
        assertEquals("0b1010", cpu.at("/cpuid_modifiers/1/modifiers/0/bitmap").asText());
        assertEquals("!56", cpu.at("/kvm_capabilities/1").asText());
        assertEquals("0x175", cpu.at("/msr_modifiers/0/addr").asText());
        Path saved = Files.writeString(dir.resolve("saved.json"), http.get("/vm/config").body());
        assertEquals(api.resources.cpuConfig(), VmResources.fromConfigFile(saved).cpuConfig(), "GET /vm/config reads back as a config file");
    }

    @Test
    void everyBadFieldIsA400NamingItAndTheFix() throws Exception {
        assertFault(http.put("/cpu-config", "{\"kvm_capabilities\": [\"x\"]}"), 400,
                "cpu-config.kvm_capabilities[0] is \"x\"; use a KVM capability number (KVM_CAP_*) such as \"121\"");
        assertFault(http.put("/cpu-config", "{\"kvm_capabilities\": [\"!4294967296\"]}"), 400, "cpu-config.kvm_capabilities[0] is \"!4294967296\"");
        assertFault(http.put("/cpu-config", leaf("\"1\"", "\"0x0\"", "0", "\"eax\"", "\"0b1\"")), 400,
                "cpu-config.cpuid_modifiers[0].leaf is \"1\"; use a 32-bit number with its base prefix: hex as \"0x10a\" or binary as \"0b1\"");
        assertFault(http.put("/cpu-config", leaf("\"0x1\"", "\"0x100000000\"", "0", "\"eax\"", "\"0b1\"")), 400,
                "cpu-config.cpuid_modifiers[0].subleaf is \"0x100000000\"");
        assertFault(http.put("/cpu-config", leaf("\"0x1\"", "\"0x0\"", "-1", "\"eax\"", "\"0b1\"")), 400,
                ApiServerTest.SERDE + "invalid value: integer `-1`, expected u32 at line 1 column 66. cpu-config.cpuid_modifiers[0].flags is -1");
        assertFault(http.put("/cpu-config", leaf("\"0x1\"", "\"0x0\"", "0", "\"ekx\"", "\"0b1\"")), 400, "");
        assertTrue(json(http.put("/cpu-config", leaf("\"0x1\"", "\"0x0\"", "0", "\"ekx\"", "\"0b1\""))).get("fault_message").asText()
                .contains("ekx"), "the bad register is named");
        assertFault(http.put("/cpu-config", leaf("\"0x1\"", "\"0x0\"", "0", "\"eax\"", "\"0b12\"")), 400,
                "cpu-config.cpuid_modifiers[0].modifiers[0].bitmap is \"0b12\"; use \"0b\" followed by at most 32 characters 0, 1 or x");
        assertFault(http.put("/cpu-config", leaf("\"0x1\"", "\"0x0\"", "0", "\"eax\"", "\"0b" + "1".repeat(33) + "\"")), 400,
                "cpu-config.cpuid_modifiers[0].modifiers[0].bitmap is");
        assertFault(http.put("/cpu-config", "{\"msr_modifiers\": [{\"addr\": \"0x10a\", \"bitmap\": \"0b" + "x".repeat(65) + "\"}]}"), 400,
                "cpu-config.msr_modifiers[0].bitmap is");
        assertFault(http.put("/cpu-config", "{\"msr_modifiers\": [{\"addr\": \"266\", \"bitmap\": \"0b1\"}]}"), 400,
                "cpu-config.msr_modifiers[0].addr is \"266\"");
        assertFault(http.put("/cpu-config", "{\"reg_modifiers\": [{\"addr\": \"0x0\", \"bitmap\": \"0b1\"}]}"), 400,
                "cpu-config.reg_modifiers are for aarch64 hosts; this host is x86_64, remove them");
        assertFault(http.put("/cpu-config", "{\"vcpu_features\": [{\"index\": 0, \"bitmap\": \"0b1\"}]}"), 400,
                "cpu-config.vcpu_features are for aarch64 hosts; this host is x86_64, remove them");
        assertFault(http.put("/cpu-config", "{\"cpuid_modifier\": []}"), 400, "");
        assertNull(api.resources.cpuConfig(), "nothing refused was kept");
    }

    private static String leaf(String leaf, String subleaf, String flags, String register, String bitmap) {
        return "{\"cpuid_modifiers\": [{\"leaf\": " + leaf + ", \"subleaf\": " + subleaf + ", \"flags\": " + flags
                + ", \"modifiers\": [{\"register\": " + register + ", \"bitmap\": " + bitmap + "}]}]}";
    }

    @Test
    void theLastTemplateSetWinsAndCpuTemplateCarriesTheDeprecationHeader() throws Exception {
        UnixHttpClient.Response r = http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 128, \"cpu_template\": \"T2A\"}");
        assertEquals(204, r.status(), r.body());
        assertEquals("true", r.header("deprecation"));
        assertEquals("T2A", json(http.get("/machine-config")).get("cpu_template").asText());
        assertEquals(204, http.put("/cpu-config", TEMPLATE).status());
        JsonNode config = json(http.get("/vm/config"));
        assertFalse(config.get("machine-config").has("cpu_template") && !config.at("/machine-config/cpu_template").isNull()
                && !"None".equals(config.at("/machine-config/cpu_template").asText()), "the custom template replaced T2A: " + config);
        assertTrue(config.get("cpu-config").isObject());
        r = http.patch("/machine-config", "{\"cpu_template\": \"C3\"}");
        assertEquals(204, r.status(), r.body());
        assertEquals("true", r.header("deprecation"));
        config = json(http.get("/vm/config"));
        assertEquals("C3", config.at("/machine-config/cpu_template").asText());
        assertTrue(config.get("cpu-config") == null || config.get("cpu-config").isNull(), "the static template replaced the custom one: " + config);
        assertEquals(CpuTemplate.C3, api.resources.machineConfig().cpuTemplate());
        assertFault(http.patch("/machine-config", "{\"cpu_template\": \"V1N1\"}"), 400,
                "machine-config.cpu_template is V1N1, a template for aarch64 (Neoverse V1) hosts; this host is x86_64");
        assertFault(http.patch("/machine-config", "{\"cpu_template\": \"T3\"}"), 400, "");
        assertEquals(CpuTemplate.C3, api.resources.machineConfig().cpuTemplate(), "refused PATCHes change nothing");
    }

    @Test
    void cpuConfigIsPreBootOnly() throws Exception {
        api.vmm.state = MicroVm.State.RUNNING;
        assertFault(http.put("/cpu-config", TEMPLATE), 400, NOT_AFTER);
        assertNull(api.resources.cpuConfig());
    }
}
