package dev.ember.arch.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ACPI table offsets and constants checked with gcc against the ACPICA headers in the Linux
 * source ({@code include/acpi/actbl*.h}, and {@code drivers/acpi/acpica/aclocal.h} for the PM1
 * register bits; they also build in user space, as ACPICA's tools do):
 * from a kernel tree when one is around (EMBER_LINUX_SRC, guest-images/build's cache, /usr/src),
 * else unpacked from Debian's linux-source tarball, which guest-images/build installs.
 */
class AcpiLayoutTest {
    private static final String HEADER = "include/acpi/actbl.h";
    private static final Path TARBALL = Path.of("/usr/src/linux-source-6.1.tar.xz");

    @TempDir
    Path dir;

    private static final String SOURCE = """
            #include <stddef.h>
            #include <stdio.h>
            #include <acpi/acpi.h>
            #include "accommon.h"
            #define O(s, f) printf("%s.%s %zu\\n", #s, #f, offsetof(struct s, f))
            #define S(s) printf("sizeof.%s %zu\\n", #s, sizeof(struct s))
            #define V(n) printf("%s %lld\\n", #n, (long long)(n))
            #define VN(name, n) printf("%s %lld\\n", name, (long long)(n))
            int main(void) {
                S(acpi_table_rsdp); S(acpi_table_header); S(acpi_table_facs); S(acpi_table_fadt);
                S(acpi_generic_address); S(acpi_table_madt); S(acpi_madt_local_apic); S(acpi_madt_io_apic);
                S(acpi_madt_interrupt_override); S(acpi_madt_local_apic_nmi);
                O(acpi_table_rsdp, checksum); O(acpi_table_rsdp, oem_id); O(acpi_table_rsdp, revision);
                O(acpi_table_rsdp, rsdt_physical_address); O(acpi_table_rsdp, length);
                O(acpi_table_rsdp, xsdt_physical_address); O(acpi_table_rsdp, extended_checksum);
                O(acpi_table_header, length); O(acpi_table_header, revision); O(acpi_table_header, checksum);
                O(acpi_table_header, oem_id); O(acpi_table_header, oem_table_id); O(acpi_table_header, oem_revision);
                O(acpi_table_header, asl_compiler_id); O(acpi_table_header, asl_compiler_revision);
                O(acpi_table_facs, length); O(acpi_table_facs, version);
                O(acpi_table_fadt, facs); O(acpi_table_fadt, dsdt); O(acpi_table_fadt, preferred_profile);
                O(acpi_table_fadt, sci_interrupt); O(acpi_table_fadt, smi_command);
                O(acpi_table_fadt, pm1a_event_block); O(acpi_table_fadt, pm1a_control_block);
                O(acpi_table_fadt, pm_timer_block); O(acpi_table_fadt, pm1_event_length);
                O(acpi_table_fadt, pm1_control_length); O(acpi_table_fadt, pm_timer_length);
                O(acpi_table_fadt, boot_flags); O(acpi_table_fadt, flags); O(acpi_table_fadt, reset_register);
                O(acpi_table_fadt, minor_revision); O(acpi_table_fadt, Xfacs); O(acpi_table_fadt, Xdsdt);
                O(acpi_table_fadt, xpm1a_event_block); O(acpi_table_fadt, xpm1a_control_block);
                O(acpi_table_fadt, sleep_control); O(acpi_table_fadt, sleep_status); O(acpi_table_fadt, hypervisor_id);
                O(acpi_generic_address, space_id); O(acpi_generic_address, bit_width);
                O(acpi_generic_address, bit_offset); O(acpi_generic_address, access_width); O(acpi_generic_address, address);
                O(acpi_table_madt, address); O(acpi_table_madt, flags);
                V(ACPI_FADT_8042); V(ACPI_FADT_NO_VGA); V(ACPI_FADT_NO_CMOS_RTC); V(ACPI_FADT_WBINVD);
                V(ACPI_FADT_POWER_BUTTON); V(ACPI_FADT_SLEEP_BUTTON); V(ACPI_FADT_FIXED_RTC); V(ACPI_FADT_HW_REDUCED);
                V(ACPI_ADR_SPACE_SYSTEM_IO); V(ACPI_MADT_PCAT_COMPAT); V(ACPI_MADT_ENABLED);
                V(ACPI_MADT_TYPE_LOCAL_APIC); V(ACPI_MADT_TYPE_IO_APIC); V(ACPI_MADT_TYPE_INTERRUPT_OVERRIDE);
                V(ACPI_MADT_TYPE_LOCAL_APIC_NMI);
                VN("high_edge", ACPI_MADT_POLARITY_ACTIVE_HIGH | ACPI_MADT_TRIGGER_EDGE);
                VN("high_level", ACPI_MADT_POLARITY_ACTIVE_HIGH | ACPI_MADT_TRIGGER_LEVEL);
                V(ACPI_BITMASK_SCI_ENABLE); V(ACPI_BITMASK_SLEEP_ENABLE); V(ACPI_BITPOSITION_SLEEP_TYPE);
                V(ACPI_BITMASK_SLEEP_TYPE);
                return 0;
            }
            """;

    @Test
    void offsetsAndConstantsMatchAcpica() throws Exception {
        Path include = kernelInclude();
        Map<String, Long> c = CLayout.run(dir, SOURCE, List.of("-D_LINUX", "-DACPI_DUMP_APP", "-I", include.resolve("include").toString(),
                "-I", include.resolve("drivers/acpi/acpica").toString()));
        Map<String, Long> e = new LinkedHashMap<>();
        e.put("sizeof.acpi_table_rsdp", (long) AcpiTables.RSDP_SIZE);
        e.put("sizeof.acpi_table_header", (long) AcpiTables.HEADER_SIZE);
        e.put("sizeof.acpi_table_facs", (long) AcpiTables.FACS_SIZE);
        e.put("sizeof.acpi_table_fadt", (long) Fadt.SIZE);
        e.put("sizeof.acpi_generic_address", (long) Fadt.GAS_SIZE);
        e.put("sizeof.acpi_table_madt", (long) AcpiTables.MADT_ENTRIES);
        e.put("sizeof.acpi_madt_local_apic", (long) AcpiTables.MADT_LAPIC_LEN);
        e.put("sizeof.acpi_madt_io_apic", (long) AcpiTables.MADT_IOAPIC_LEN);
        e.put("sizeof.acpi_madt_interrupt_override", (long) AcpiTables.MADT_ISO_LEN);
        e.put("sizeof.acpi_madt_local_apic_nmi", (long) AcpiTables.MADT_LAPIC_NMI_LEN);
        e.put("acpi_table_rsdp.checksum", (long) AcpiTables.RSDP_CHECKSUM);
        e.put("acpi_table_rsdp.oem_id", (long) AcpiTables.RSDP_OEMID);
        e.put("acpi_table_rsdp.revision", (long) AcpiTables.RSDP_REVISION);
        e.put("acpi_table_rsdp.rsdt_physical_address", (long) AcpiTables.RSDP_RSDT);
        e.put("acpi_table_rsdp.length", (long) AcpiTables.RSDP_LENGTH);
        e.put("acpi_table_rsdp.xsdt_physical_address", (long) AcpiTables.RSDP_XSDT);
        e.put("acpi_table_rsdp.extended_checksum", (long) AcpiTables.RSDP_EXT_CHECKSUM);
        e.put("acpi_table_header.length", (long) AcpiTables.HDR_LENGTH);
        e.put("acpi_table_header.revision", (long) AcpiTables.HDR_REVISION);
        e.put("acpi_table_header.checksum", (long) AcpiTables.HDR_CHECKSUM);
        e.put("acpi_table_header.oem_id", (long) AcpiTables.HDR_OEMID);
        e.put("acpi_table_header.oem_table_id", (long) AcpiTables.HDR_OEM_TABLE_ID);
        e.put("acpi_table_header.oem_revision", (long) AcpiTables.HDR_OEM_REVISION);
        e.put("acpi_table_header.asl_compiler_id", (long) AcpiTables.HDR_CREATOR_ID);
        e.put("acpi_table_header.asl_compiler_revision", (long) AcpiTables.HDR_CREATOR_REVISION);
        e.put("acpi_table_facs.length", (long) AcpiTables.FACS_LENGTH);
        e.put("acpi_table_facs.version", (long) AcpiTables.FACS_VERSION);
        e.put("acpi_table_fadt.facs", (long) Fadt.FIRMWARE_CTRL);
        e.put("acpi_table_fadt.dsdt", (long) Fadt.DSDT);
        e.put("acpi_table_fadt.preferred_profile", (long) Fadt.PREFERRED_PM_PROFILE);
        e.put("acpi_table_fadt.sci_interrupt", (long) Fadt.SCI_INT);
        e.put("acpi_table_fadt.smi_command", (long) Fadt.SMI_CMD);
        e.put("acpi_table_fadt.pm1a_event_block", (long) Fadt.PM1A_EVT_BLK);
        e.put("acpi_table_fadt.pm1a_control_block", (long) Fadt.PM1A_CNT_BLK);
        e.put("acpi_table_fadt.pm_timer_block", (long) Fadt.PM_TMR_BLK);
        e.put("acpi_table_fadt.pm1_event_length", (long) Fadt.PM1_EVT_LEN);
        e.put("acpi_table_fadt.pm1_control_length", (long) Fadt.PM1_CNT_LEN);
        e.put("acpi_table_fadt.pm_timer_length", (long) Fadt.PM_TMR_LEN);
        e.put("acpi_table_fadt.boot_flags", (long) Fadt.IAPC_BOOT_ARCH);
        e.put("acpi_table_fadt.flags", (long) Fadt.FLAGS);
        e.put("acpi_table_fadt.reset_register", (long) Fadt.RESET_REG);
        e.put("acpi_table_fadt.minor_revision", (long) Fadt.MINOR_VERSION);
        e.put("acpi_table_fadt.Xfacs", (long) Fadt.X_FIRMWARE_CTRL);
        e.put("acpi_table_fadt.Xdsdt", (long) Fadt.X_DSDT);
        e.put("acpi_table_fadt.xpm1a_event_block", (long) Fadt.X_PM1A_EVT_BLK);
        e.put("acpi_table_fadt.xpm1a_control_block", (long) Fadt.X_PM1A_CNT_BLK);
        e.put("acpi_table_fadt.sleep_control", (long) Fadt.SLEEP_CONTROL_REG);
        e.put("acpi_table_fadt.sleep_status", (long) Fadt.SLEEP_STATUS_REG);
        e.put("acpi_table_fadt.hypervisor_id", (long) Fadt.HYPERVISOR_VENDOR);
        e.put("acpi_generic_address.space_id", (long) Fadt.GAS_SPACE);
        e.put("acpi_generic_address.bit_width", (long) Fadt.GAS_BIT_WIDTH);
        e.put("acpi_generic_address.bit_offset", (long) Fadt.GAS_BIT_OFFSET);
        e.put("acpi_generic_address.access_width", (long) Fadt.GAS_ACCESS_SIZE);
        e.put("acpi_generic_address.address", (long) Fadt.GAS_ADDRESS);
        e.put("acpi_table_madt.address", (long) AcpiTables.MADT_LAPIC_ADDRESS);
        e.put("acpi_table_madt.flags", (long) AcpiTables.MADT_FLAGS);
        e.put("ACPI_FADT_8042", (long) Fadt.BOOT_ARCH_8042);
        e.put("ACPI_FADT_NO_VGA", (long) Fadt.BOOT_ARCH_NO_VGA);
        e.put("ACPI_FADT_NO_CMOS_RTC", (long) Fadt.BOOT_ARCH_NO_CMOS_RTC);
        e.put("ACPI_FADT_WBINVD", (long) Fadt.FLAG_WBINVD);
        e.put("ACPI_FADT_POWER_BUTTON", (long) Fadt.FLAG_PWR_BUTTON);
        e.put("ACPI_FADT_SLEEP_BUTTON", (long) Fadt.FLAG_SLP_BUTTON);
        e.put("ACPI_FADT_FIXED_RTC", (long) Fadt.FLAG_FIX_RTC);
        e.put("ACPI_FADT_HW_REDUCED", (long) Fadt.FLAG_HW_REDUCED_ACPI);
        e.put("ACPI_ADR_SPACE_SYSTEM_IO", (long) Fadt.SPACE_SYSTEM_IO);
        e.put("ACPI_MADT_PCAT_COMPAT", (long) AcpiTables.MADT_PCAT_COMPAT);
        e.put("ACPI_MADT_ENABLED", (long) AcpiTables.MADT_LAPIC_ENABLED);
        e.put("ACPI_MADT_TYPE_LOCAL_APIC", (long) AcpiTables.MADT_TYPE_LAPIC);
        e.put("ACPI_MADT_TYPE_IO_APIC", (long) AcpiTables.MADT_TYPE_IOAPIC);
        e.put("ACPI_MADT_TYPE_INTERRUPT_OVERRIDE", (long) AcpiTables.MADT_TYPE_ISO);
        e.put("ACPI_MADT_TYPE_LOCAL_APIC_NMI", (long) AcpiTables.MADT_TYPE_LAPIC_NMI);
        e.put("high_edge", (long) AcpiTables.INTI_HIGH_EDGE);
        e.put("high_level", (long) AcpiTables.INTI_HIGH_LEVEL);
        e.put("ACPI_BITMASK_SCI_ENABLE", (long) AcpiPm.SCI_EN);
        e.put("ACPI_BITMASK_SLEEP_ENABLE", (long) AcpiPm.SLP_EN);
        e.put("ACPI_BITPOSITION_SLEEP_TYPE", (long) AcpiPm.SLP_TYP_SHIFT);
        e.put("ACPI_BITMASK_SLEEP_TYPE", (long) AcpiPm.SLP_TYP_MASK);
        List<String> wrong = new ArrayList<>();
        e.forEach((k, v) -> {
            if (!v.equals(c.get(k))) {
                wrong.add(k + ": Ember " + v + ", ACPICA " + c.get(k));
            }
        });
        assertEquals(List.of(), wrong);
    }

    /** A Linux source tree (at least its include/acpi and drivers/acpi/acpica). */
    private Path kernelInclude() throws IOException, InterruptedException {
        List<Path> trees = new ArrayList<>();
        String env = System.getenv("EMBER_LINUX_SRC");
        if (env != null) {
            trees.add(Path.of(env));
        }
        String cache = System.getenv().getOrDefault("EMBER_CACHE_DIR", System.getProperty("user.home") + "/.cache/ember");
        for (Path parent : List.of(Path.of(cache, "guest-images", "src"), Path.of("/usr/src"))) {
            if (Files.isDirectory(parent)) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, "linux*")) {
                    ds.forEach(trees::add);
                }
            }
        }
        for (Path t : trees) {
            if (Files.isRegularFile(t.resolve(HEADER))) {
                System.out.println("AcpiLayoutTest: using the ACPICA headers of " + t);
                return t;
            }
        }
        assumeTrue(Files.isRegularFile(TARBALL), "no Linux source with " + HEADER + " (EMBER_LINUX_SRC, guest-images/build's cache, "
                + TARBALL + ": guest-images/build installs linux-source-6.1)");
        Process tar = new ProcessBuilder("tar", "-C", dir.toString(), "-xf", TARBALL.toString(), "--wildcards",
                "*/include/acpi/*", "*/drivers/acpi/acpica/*").redirectErrorStream(true).start();
        String out = new String(tar.getInputStream().readAllBytes());
        assertEquals(true, tar.waitFor(300, TimeUnit.SECONDS) && tar.exitValue() == 0, "tar failed: " + out);
        System.out.println("AcpiLayoutTest: using the ACPICA headers unpacked from " + TARBALL);
        return dir.resolve("linux-source-6.1");
    }
}
