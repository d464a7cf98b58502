package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.it.EmberProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * CPU templates as Linux sees them in /proc/cpuinfo. Runs in the nested tier (on PVM the guest's
 * user space cannot run): the config file's {@code cpu-config} masks LAHF_LM (CPUID 0x80000001 ECX
 * bit 0, "lahf_lm"), which the same guest lists without the template; the static template of the
 * host's vendor (T2A on AMD, T2 on Intel) makes the guest report family 6, model 63 (0x3f).
 */
@GuestUserSpace
class LinuxCpuTemplateIT extends LinuxTest.UserSpace {
    /** A hang guard only. */
    private static final Duration TIMEOUT = LinuxTests.bootTimeout().plusMinutes(3);
    private static final String MASK_LAHF_LM = """
            {"cpuid_modifiers": [{"leaf": "0x80000001", "subleaf": "0x0", "flags": 0,
              "modifiers": [{"register": "ecx", "bitmap": "0bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0"}]}]}""";

    /** Boots 2 vCPUs with {@code section} (name, JSON) and returns the console: CPU count, lahf_lm count, family, model. */
    private String cpuinfo(String name, String section, String json) throws Exception {
        LinuxVmConfig config = new LinuxVmConfig(LinuxImages.vmlinux(), LinuxImages.BASE_CMDLINE
                + " ember.cmd=\"echo cpus \\$(grep -c ^processor /proc/cpuinfo);"
                + " echo lahf_lm cpus \\$(grep -c '^flags.* lahf_lm' /proc/cpuinfo);"
                + " echo family \\$(grep -m1 '^cpu family' /proc/cpuinfo | cut -d: -f2);"
                + " echo model \\$(grep -m1 '^model' /proc/cpuinfo | cut -d: -f2)\"")
                .initrd(LinuxImages.initramfs())
                .machine(2, 128);
        if (section != null) {
            config.section(section, json);
        }
        try (EmberProcess vm = EmberProcess.boot(config.write(dir, name).toString())) {
            assertEquals(0, LinuxTests.awaitExit(vm, TIMEOUT), vm.describe());
            assertTrue(vm.stdout().contains("cpus 2"), "the guest lists both vCPUs\n" + vm.describe());
            return vm.stdout();
        }
    }

    private static int number(String console, String label) {
        Matcher m = Pattern.compile(label + " (\\d+)").matcher(console);
        assertTrue(m.find(), label + " in\n" + console);
        return Integer.parseInt(m.group(1));
    }

    @Test
    void aFlagTheCustomTemplateMasksIsGoneFromTheGuestsCpuinfo() throws Exception {
        assertEquals(2, number(cpuinfo("plain", null, null), "lahf_lm cpus"), "without a template both vCPUs list lahf_lm");
        Path template = Files.writeString(dir.resolve("mask-lahf-lm.json"), MASK_LAHF_LM);
        assertEquals(0, number(cpuinfo("templated", "cpu-config", "\"" + template + "\""), "lahf_lm cpus"), "with the template neither does");
    }

    @Test
    void theHostVendorsStaticTemplateSetsTheFamilyAndModelLinuxReports() throws Exception {
        String template = Files.readString(Path.of("/proc/cpuinfo")).contains("AuthenticAMD") ? "T2A" : "T2";
        String console = cpuinfo(template, "machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": 128, \"cpu_template\": \"" + template + "\"}");
        assertEquals(6, number(console, "family"), template + "\n" + console);
        assertEquals(63, number(console, "model"), template + "\n" + console);
    }
}
