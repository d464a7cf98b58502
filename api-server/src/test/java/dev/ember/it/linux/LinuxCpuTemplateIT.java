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
 * A custom CPU template as Linux sees it: the config file's {@code cpu-config} masks LAHF_LM
 * (CPUID 0x80000001 ECX bit 0, "lahf_lm" in /proc/cpuinfo), which the same guest shows without
 * the template. Runs in the nested tier (on PVM the guest's user space cannot run).
 */
@GuestUserSpace
class LinuxCpuTemplateIT extends LinuxTest.UserSpace {
    /** A hang guard only. */
    private static final Duration TIMEOUT = LinuxTests.bootTimeout().plusMinutes(3);
    private static final Pattern COUNT = Pattern.compile("lahf_lm cpus (\\d+)");
    private static final String MASK_LAHF_LM = """
            {"cpuid_modifiers": [{"leaf": "0x80000001", "subleaf": "0x0", "flags": 0,
              "modifiers": [{"register": "ecx", "bitmap": "0bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0"}]}]}""";

    /** How many of the guest's CPUs list lahf_lm in /proc/cpuinfo (and that it saw its CPUs at all). */
    private int lahfLmCpus(String name, Path cpuConfig) throws Exception {
        LinuxVmConfig config = new LinuxVmConfig(LinuxImages.vmlinux(), LinuxImages.BASE_CMDLINE
                + " ember.cmd=\"echo cpus \\$(grep -c ^processor /proc/cpuinfo);"
                + " echo lahf_lm cpus \\$(grep -c '^flags.* lahf_lm' /proc/cpuinfo)\"")
                .initrd(LinuxImages.initramfs())
                .machine(2, 128);
        if (cpuConfig != null) {
            config.section("cpu-config", "\"" + cpuConfig + "\"");
        }
        try (EmberProcess vm = EmberProcess.boot(config.write(dir, name).toString())) {
            assertEquals(0, LinuxTests.awaitExit(vm, TIMEOUT), vm.describe());
            assertTrue(vm.stdout().contains("cpus 2"), "the guest lists both vCPUs\n" + vm.describe());
            Matcher m = COUNT.matcher(vm.stdout());
            assertTrue(m.find(), vm.describe());
            return Integer.parseInt(m.group(1));
        }
    }

    @Test
    void aFlagTheTemplateMasksIsGoneFromTheGuestsCpuinfo() throws Exception {
        assertEquals(2, lahfLmCpus("plain", null), "without a template both vCPUs have lahf_lm");
        Path template = Files.writeString(dir.resolve("mask-lahf-lm.json"), MASK_LAHF_LM);
        assertEquals(0, lahfLmCpus("templated", template), "with the template neither has");
    }
}
