package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.api.UnixHttpClient;
import dev.ember.config.StrictJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CPU templates through the real {@code bin/ember}, proven by what the test guest's own CPUID
 * instruction returns (scenario {@code cpuid}): a custom template from the config file's
 * {@code cpu-config} masks one feature bit and forces the stepping, and nothing else changes; the
 * static template of the host's vendor gives the guest its family/model; the other vendor's is
 * refused at InstanceStart with Firecracker's fault text.
 *
 * <p>Bits chosen where PVM honours KVM_SET_CPUID2 (leaf 1 EAX/EBX, the extended leaf's ECX): for
 * leaf 1 ECX/EDX, leaf 7 and leaf 0xd PVM hands the guest the host's own bits
 * (docs/cpu-templates.md).
 */
@NeedsKvm
class CpuTemplateIT {
    private static final Duration BOOT = Duration.ofSeconds(60);
    private static final Pattern LINE = Pattern.compile("cpuid ([0-9a-f]+)\\.([0-9a-f]+): eax=([0-9a-f]{8}) ebx=([0-9a-f]{8})"
            + " ecx=([0-9a-f]{8}) edx=([0-9a-f]{8})");
    private static final int LAHF_LM = 1, PREFETCHW = 1 << 8;
    /** Masks LAHF_LM (extended leaf ECX bit 0) and forces leaf 1's stepping to 10. */
    private static final String TEMPLATE = """
            {
              "cpuid_modifiers": [
                {"leaf": "0x80000001", "subleaf": "0x0", "flags": 0,
                 "modifiers": [{"register": "ecx", "bitmap": "0bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0"}]},
                {"leaf": "0x1", "subleaf": "0x0", "flags": 0,
                 "modifiers": [{"register": "eax", "bitmap": "0b1010"}]}
              ],
              "msr_modifiers": [{"addr": "0x175", "bitmap": "0b1"}]
            }""";

    @TempDir
    Path dir;

    /** "leaf.subleaf" (hex, as the guest prints them) to {eax, ebx, ecx, edx}. */
    private static Map<String, int[]> cpuid(String stdout) {
        Map<String, int[]> out = new HashMap<>();
        Matcher m = LINE.matcher(stdout);
        while (m.find()) {
            out.put(m.group(1) + "." + m.group(2), new int[] {Integer.parseUnsignedInt(m.group(3), 16),
                Integer.parseUnsignedInt(m.group(4), 16), Integer.parseUnsignedInt(m.group(5), 16), Integer.parseUnsignedInt(m.group(6), 16)});
        }
        return out;
    }

    private static Map<String, int[]> run(Path config) throws Exception {
        try (EmberProcess vm = EmberProcess.boot(config.toString())) {
            assertEquals(0, vm.awaitExit(BOOT), vm.describe());
            assertTrue(vm.stdout().contains("EMBER-TEST: PASS cpuid"), vm.describe());
            Map<String, int[]> leaves = cpuid(vm.stdout());
            assertEquals(8, leaves.size(), vm.stdout());
            return leaves;
        }
    }

    /** The cpuid scenario with {@code cpuTemplate} (or null) in machine-config and {@code cpuConfig} (or null) as the cpu-config path. */
    private Path config(String name, String cpuTemplate, Path cpuConfig) throws IOException {
        Path f = dir.resolve(name + ".json");
        Files.writeString(f, "{\"boot-source\": {\"kernel_image_path\": \"" + TestGuests.image() + "\","
                + " \"boot_args\": \"console=ttyS0 ember.test=cpuid\"},"
                + " \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 128"
                + (cpuTemplate == null ? "" : ", \"cpu_template\": \"" + cpuTemplate + "\"") + "}"
                + (cpuConfig == null ? "" : ", \"cpu-config\": \"" + cpuConfig + "\"") + "}");
        return f;
    }

    @Test
    void aCustomTemplateFromTheConfigFileReachesTheGuestsCpuidInstruction() throws Exception {
        Map<String, int[]> plain = run(config("plain", null, null));
        assumeTrue((plain.get("80000001.0")[2] & LAHF_LM) != 0, "this host's CPU has no LAHF_LM for the template to mask");
        Path template = Files.writeString(dir.resolve("template.json"), TEMPLATE);
        Map<String, int[]> templated = run(config("templated", null, template));

        int ecx = templated.get("80000001.0")[2];
        assertEquals(0, ecx & LAHF_LM, "LAHF_LM masked");
        assertEquals(plain.get("80000001.0")[2] & ~LAHF_LM, ecx, "and the extended leaf's other ECX bits as they were");
        int eax = templated.get("1.0")[0];
        assertEquals(0xA, eax & 0xF, "stepping forced to 10");
        assertEquals(plain.get("1.0")[0] & ~0xF, eax & ~0xF, "family and model as they were");
        assertEquals(plain.get("1.0")[1], templated.get("1.0")[1], "leaf 1 EBX (APIC ID, count) is the normalisation's, template or not");
        assertEquals(0x4b4d564b, templated.get("40000000.0")[1], "KVM's signature leaf");
    }

    @Test
    void theHostsStaticTemplateGivesTheGuestItsSignatureAndTheOtherVendorsIsRefused() throws Exception {
        boolean amd = Files.readString(Path.of("/proc/cpuinfo")).contains("AuthenticAMD");
        String own = amd ? "T2A" : "T2", other = amd ? "T2" : "T2A";

        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.start("--api-sock", sock.toString())) {
            UnixHttpClient http = vm.api(sock);
            assertEquals(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + TestGuests.image()
                    + "\", \"boot_args\": \"console=ttyS0 ember.test=cpuid\"}").status());
            UnixHttpClient.Response r = http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"cpu_template\": \"" + other + "\"}");
            assertEquals(204, r.status(), r.body());
            assertEquals("true", r.header("deprecation"), "cpu_template is deprecated in Firecracker's API");
            r = http.put("/actions", "{\"action_type\": \"InstanceStart\"}");
            assertEquals(400, r.status(), r.body());
            JsonNode fault = StrictJson.MAPPER.readTree(r.body());
            assertTrue(fault.get("fault_message").asText().startsWith("Start microvm error: Failed to get CPU template: CPU vendor mismatched"
                    + " between actual CPU and CPU template. (machine-config.cpu_template is " + other), r.body());
            assertTrue(fault.get("fault_message").asText().contains("use " + (amd ? "T2A" : "T2, T2S, T2CL or C3")), r.body());
            assertTrue(!vm.stdout().contains("cpuid"), "the guest never ran");
        }

        Map<String, int[]> templated = run(config(own, own, null));
        assertEquals(0x000306F2, templated.get("1.0")[0] & 0x0FFF3FFF, own + ": family 6, model 0x3f, stepping 2");
        assertEquals(0, templated.get("80000001.0")[2] & PREFETCHW, own + ": PREFETCHW hidden");
    }
}
