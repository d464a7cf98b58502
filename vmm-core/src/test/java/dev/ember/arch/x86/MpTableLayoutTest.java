package dev.ember.arch.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MP table struct offsets checked with gcc against the kernel's mpspec_def.h: the kernel source's
 * own header when a tree is around, otherwise the transcription in test resources (the header is
 * not exported to user space).
 */
class MpTableLayoutTest {
    private static final String HEADER = "arch/x86/include/asm/mpspec_def.h";

    @TempDir
    Path dir;

    private static final String SOURCE = """
            #include <stddef.h>
            #include <stdio.h>
            #include "mpspec_def.h"
            #define O(s, f) printf("%s.%s %zu\\n", #s, #f, offsetof(struct s, f))
            #define S(s) printf("sizeof.%s %zu\\n", #s, sizeof(struct s))
            #define V(n) printf("%s %d\\n", #n, (int)(n))
            int main(void) {
                S(mpf_intel); S(mpc_table); S(mpc_cpu); S(mpc_bus); S(mpc_ioapic); S(mpc_intsrc); S(mpc_lintsrc);
                O(mpf_intel, signature); O(mpf_intel, physptr); O(mpf_intel, length); O(mpf_intel, specification);
                O(mpf_intel, checksum); O(mpf_intel, feature1);
                O(mpc_table, signature); O(mpc_table, length); O(mpc_table, spec); O(mpc_table, checksum);
                O(mpc_table, oem); O(mpc_table, productid); O(mpc_table, oemptr); O(mpc_table, oemsize);
                O(mpc_table, oemcount); O(mpc_table, lapic); O(mpc_table, reserved);
                O(mpc_cpu, type); O(mpc_cpu, apicid); O(mpc_cpu, apicver); O(mpc_cpu, cpuflag);
                O(mpc_cpu, cpufeature); O(mpc_cpu, featureflag);
                O(mpc_bus, type); O(mpc_bus, busid); O(mpc_bus, bustype);
                O(mpc_ioapic, type); O(mpc_ioapic, apicid); O(mpc_ioapic, apicver); O(mpc_ioapic, flags); O(mpc_ioapic, apicaddr);
                O(mpc_intsrc, type); O(mpc_intsrc, irqtype); O(mpc_intsrc, irqflag); O(mpc_intsrc, srcbus);
                O(mpc_intsrc, srcbusirq); O(mpc_intsrc, dstapic); O(mpc_intsrc, dstirq);
                O(mpc_lintsrc, type); O(mpc_lintsrc, irqtype); O(mpc_lintsrc, irqflag); O(mpc_lintsrc, srcbusid);
                O(mpc_lintsrc, srcbusirq); O(mpc_lintsrc, destapic); O(mpc_lintsrc, destapiclint);
                V(MP_PROCESSOR); V(MP_BUS); V(MP_IOAPIC); V(MP_INTSRC); V(MP_LINTSRC);
                V(CPU_ENABLED); V(CPU_BOOTPROCESSOR); V(MPC_APIC_USABLE); V(MP_IRQPOL_DEFAULT); V(MP_APIC_ALL);
                V(mp_INT); V(mp_NMI); V(mp_ExtINT);
                return 0;
            }
            """;

    /** The kernel tree's asm directory if one is available, else null. */
    static Path kernelAsmDir() throws IOException {
        String env = System.getenv("EMBER_LINUX_SRC");
        if (env != null && Files.isRegularFile(Path.of(env).resolve(HEADER))) {
            return Path.of(env).resolve(HEADER).getParent();
        }
        // Where a kernel build or an unpacked linux-source package would put a tree.
        for (Path parent : List.of(Path.of(System.getProperty("ember.repo", "..")).resolve("guest-images/build"), Path.of("/usr/src"))) {
            if (!Files.isDirectory(parent)) {
                continue;
            }
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, "linux*")) {
                for (Path p : ds) {
                    if (Files.isRegularFile(p.resolve(HEADER))) {
                        return p.resolve(HEADER).getParent();
                    }
                }
            }
        }
        return null;
    }

    @Test
    void constantsMatchKernelMpspecDef() throws Exception {
        Path include = kernelAsmDir();
        if (include == null) {
            include = dir.resolve("inc");
            Files.createDirectories(include);
            try (InputStream in = getClass().getResourceAsStream("mpspec_def.h")) {
                assertNotNull(in, "test resource mpspec_def.h");
                Files.write(include.resolve("mpspec_def.h"), in.readAllBytes());
            }
            System.out.println("MpTableLayoutTest: no kernel source tree (EMBER_LINUX_SRC); using the transcribed mpspec_def.h");
        } else {
            System.out.println("MpTableLayoutTest: using the kernel's " + include.resolve("mpspec_def.h"));
        }
        Map<String, Long> c = CLayout.run(dir, SOURCE, List.of("-I", include.toString()));

        Map<String, Long> expected = new LinkedHashMap<>();
        expected.put("sizeof.mpf_intel", (long) MpTable.MPF_SIZE);
        expected.put("sizeof.mpc_table", (long) MpTable.MPC_SIZE);
        expected.put("sizeof.mpc_cpu", (long) MpTable.CPU_SIZE);
        expected.put("sizeof.mpc_bus", (long) MpTable.BUS_SIZE);
        expected.put("sizeof.mpc_ioapic", (long) MpTable.IOAPIC_SIZE);
        expected.put("sizeof.mpc_intsrc", (long) MpTable.INTSRC_SIZE);
        expected.put("sizeof.mpc_lintsrc", (long) MpTable.INTSRC_SIZE);
        expected.put("mpf_intel.signature", (long) MpTable.MPF_SIGNATURE);
        expected.put("mpf_intel.physptr", (long) MpTable.MPF_PHYSPTR);
        expected.put("mpf_intel.length", (long) MpTable.MPF_LENGTH);
        expected.put("mpf_intel.specification", (long) MpTable.MPF_SPECIFICATION);
        expected.put("mpf_intel.checksum", (long) MpTable.MPF_CHECKSUM);
        expected.put("mpf_intel.feature1", (long) MpTable.MPF_FEATURE1);
        expected.put("mpc_table.signature", (long) MpTable.MPC_SIGNATURE);
        expected.put("mpc_table.length", (long) MpTable.MPC_LENGTH);
        expected.put("mpc_table.spec", (long) MpTable.MPC_SPEC);
        expected.put("mpc_table.checksum", (long) MpTable.MPC_CHECKSUM);
        expected.put("mpc_table.oem", (long) MpTable.MPC_OEM);
        expected.put("mpc_table.productid", (long) MpTable.MPC_PRODUCTID);
        expected.put("mpc_table.oemptr", (long) MpTable.MPC_OEMPTR);
        expected.put("mpc_table.oemsize", (long) MpTable.MPC_OEMSIZE);
        expected.put("mpc_table.oemcount", (long) MpTable.MPC_OEMCOUNT);
        expected.put("mpc_table.lapic", (long) MpTable.MPC_LAPIC);
        expected.put("mpc_table.reserved", (long) MpTable.MPC_RESERVED);
        expected.put("mpc_cpu.type", (long) MpTable.CPU_TYPE);
        expected.put("mpc_cpu.apicid", (long) MpTable.CPU_APICID);
        expected.put("mpc_cpu.apicver", (long) MpTable.CPU_APICVER);
        expected.put("mpc_cpu.cpuflag", (long) MpTable.CPU_CPUFLAG);
        expected.put("mpc_cpu.cpufeature", (long) MpTable.CPU_CPUFEATURE);
        expected.put("mpc_cpu.featureflag", (long) MpTable.CPU_FEATUREFLAG);
        expected.put("mpc_bus.type", (long) MpTable.BUS_TYPE);
        expected.put("mpc_bus.busid", (long) MpTable.BUS_BUSID);
        expected.put("mpc_bus.bustype", (long) MpTable.BUS_BUSTYPE);
        expected.put("mpc_ioapic.type", (long) MpTable.IOAPIC_TYPE);
        expected.put("mpc_ioapic.apicid", (long) MpTable.IOAPIC_APICID);
        expected.put("mpc_ioapic.apicver", (long) MpTable.IOAPIC_APICVER);
        expected.put("mpc_ioapic.flags", (long) MpTable.IOAPIC_FLAGS);
        expected.put("mpc_ioapic.apicaddr", (long) MpTable.IOAPIC_APICADDR);
        expected.put("mpc_intsrc.type", (long) MpTable.INTSRC_TYPE);
        expected.put("mpc_intsrc.irqtype", (long) MpTable.INTSRC_IRQTYPE);
        expected.put("mpc_intsrc.irqflag", (long) MpTable.INTSRC_IRQFLAG);
        expected.put("mpc_intsrc.srcbus", (long) MpTable.INTSRC_SRCBUS);
        expected.put("mpc_intsrc.srcbusirq", (long) MpTable.INTSRC_SRCBUSIRQ);
        expected.put("mpc_intsrc.dstapic", (long) MpTable.INTSRC_DSTAPIC);
        expected.put("mpc_intsrc.dstirq", (long) MpTable.INTSRC_DSTIRQ);
        expected.put("mpc_lintsrc.type", (long) MpTable.INTSRC_TYPE);
        expected.put("mpc_lintsrc.irqtype", (long) MpTable.INTSRC_IRQTYPE);
        expected.put("mpc_lintsrc.irqflag", (long) MpTable.INTSRC_IRQFLAG);
        expected.put("mpc_lintsrc.srcbusid", (long) MpTable.INTSRC_SRCBUS);
        expected.put("mpc_lintsrc.srcbusirq", (long) MpTable.INTSRC_SRCBUSIRQ);
        expected.put("mpc_lintsrc.destapic", (long) MpTable.INTSRC_DSTAPIC);
        expected.put("mpc_lintsrc.destapiclint", (long) MpTable.INTSRC_DSTIRQ);
        expected.put("MP_PROCESSOR", (long) MpTable.MP_PROCESSOR);
        expected.put("MP_BUS", (long) MpTable.MP_BUS);
        expected.put("MP_IOAPIC", (long) MpTable.MP_IOAPIC);
        expected.put("MP_INTSRC", (long) MpTable.MP_INTSRC);
        expected.put("MP_LINTSRC", (long) MpTable.MP_LINTSRC);
        expected.put("CPU_ENABLED", (long) MpTable.CPU_ENABLED);
        expected.put("CPU_BOOTPROCESSOR", (long) MpTable.CPU_BOOTPROCESSOR);
        expected.put("MPC_APIC_USABLE", (long) MpTable.MPC_APIC_USABLE);
        expected.put("MP_IRQPOL_DEFAULT", (long) MpTable.MP_IRQPOL_DEFAULT);
        expected.put("MP_APIC_ALL", (long) MpTable.MP_APIC_ALL);
        expected.put("mp_INT", (long) MpTable.MP_INT);
        expected.put("mp_NMI", (long) MpTable.MP_NMI);
        expected.put("mp_ExtINT", (long) MpTable.MP_EXTINT);
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            assertNotNull(c.get(e.getKey()), "layout program did not print " + e.getKey());
            assertEquals(c.get(e.getKey()), e.getValue(), e.getKey());
        }
    }
}
