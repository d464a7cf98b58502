package dev.ember.arch.x86;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.memory.GuestMemory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ACPI tables as ACPICA's own disassembler ({@code iasl -d}, Debian's acpica-tools) reads
 * them: every field Linux uses at the offset and with the value intended, the DSDT's AML
 * decoded back to {@code Name(\_S5, Package...)}, checksums that sum to zero, and the RSDP →
 * XSDT → FADT/MADT chain walked in guest memory as a kernel does.
 */
class AcpiTablesTest {
    private static final Pattern FIELD = Pattern.compile("^\\[([0-9A-F]{3})h (\\d{4}) +(\\d+)\\] +(.+?) : (.*)$");

    @TempDir
    Path dir;

    @Test
    void fadtAsIaslReadsIt() throws Exception {
        AcpiTables.Layout l = AcpiTables.layout(2);
        Map<String, String> f = disassemble("facp", table(l.fadt(), Fadt.SIZE, 2));
        assertEquals("\"FACP\"    [Fixed ACPI Description Table (FADT)]", f.get("0:Signature"));
        assertEquals("00000114", f.get("4:Table Length"));
        assertEquals("06", f.get("8:Revision"));
        assertEquals("05", f.get("131:FADT Minor Revision"));
        assertEquals(String.format("%016X", l.facs()), f.get("132:FACS Address"));
        assertEquals(String.format("%016X", l.dsdt()), f.get("140:DSDT Address"));
        assertEquals("0009", f.get("46:SCI Interrupt"));
        assertEquals("00000000", f.get("48:SMI Command Port"), "no SMI port: always in ACPI mode");
        assertEquals("00000600", f.get("56:PM1A Event Block Address"));
        assertEquals("00000604", f.get("64:PM1A Control Block Address"));
        assertEquals("04", f.get("88:PM1 Event Block Length"));
        assertEquals("02", f.get("89:PM1 Control Block Length"));
        assertEquals("01 [SystemIO]", f.get("148:Space ID"));
        assertEquals("20", f.get("149:Bit Width"));
        assertEquals("0000000000000600", f.get("152:Address"));
        assertEquals("01 [SystemIO]", f.get("172:Space ID"));
        assertEquals("10", f.get("173:Bit Width"));
        assertEquals("0000000000000604", f.get("176:Address"));
        assertEquals("0026", f.get("109:Boot Flags (decoded below)"), "8042 present, no VGA, no CMOS RTC");
        assertEquals("00000071", f.get("112:Flags (decoded below)"));
        assertEquals("0", f.get("-:Hardware Reduced (V5)"));
    }

    @Test
    void madtListsEveryVcpuTheIoApicAndTheSciOverride() throws Exception {
        int vcpus = 3;
        AcpiTables.Layout l = AcpiTables.layout(vcpus);
        byte[] madt = AcpiTables.madt(vcpus);
        Map<String, String> m = disassemble("apic", madt);
        assertEquals(String.format("%08X", madt.length), m.get("4:Table Length"));
        assertEquals("FEE00000", m.get("36:Local Apic Address"));
        assertEquals("1", m.get("-:PC-AT Compatibility"));
        for (int cpu = 0; cpu < vcpus; cpu++) {
            int at = 44 + 8 * cpu;
            assertEquals("00 [Processor Local APIC]", m.get(at + ":Subtable Type"));
            assertEquals(String.format("%02X", cpu), m.get((at + 2) + ":Processor ID"));
            assertEquals(String.format("%02X", cpu), m.get((at + 3) + ":Local Apic ID"));
            assertEquals("00000001", m.get((at + 4) + ":Flags (decoded below)"));
        }
        int io = 44 + 8 * vcpus;
        assertEquals("01 [I/O APIC]", m.get(io + ":Subtable Type"));
        assertEquals(String.format("%02X", vcpus), m.get((io + 2) + ":I/O Apic ID"), "I/O APIC id = vCPU count, as in the MP table");
        assertEquals("FEC00000", m.get((io + 4) + ":Address"));
        assertEquals("00000000", m.get((io + 8) + ":Interrupt"));
        int iso = io + 12;
        assertEquals("02 [Interrupt Source Override]", m.get(iso + ":Subtable Type"));
        assertEquals("09", m.get((iso + 3) + ":Source"));
        assertEquals("00000009", m.get((iso + 4) + ":Interrupt"));
        assertEquals("000D", m.get((iso + 8) + ":Flags (decoded below)"));
        int nmi = iso + 10;
        assertEquals("04 [Local APIC NMI]", m.get(nmi + ":Subtable Type"));
        assertEquals("FF", m.get((nmi + 2) + ":Processor ID"));
        assertEquals("01", m.get((nmi + 5) + ":Interrupt Input LINT"));
        assertEquals(l.madt() + madt.length, l.madt() + Integer.parseInt(m.get("4:Table Length"), 16));
    }

    @Test
    void dsdtDecodesToTheS5SleepType() throws Exception {
        String dsl = disassembleSource("dsdt", AcpiTables.dsdt());
        String flat = dsl.replaceAll("\\s+", " ");
        assertTrue(flat.contains("DefinitionBlock (\"\", \"DSDT\", 2, \"EMBER \", \"EMBERVM \", 0x00000001)"), dsl);
        assertTrue(flat.contains("Name (\\_S5, Package (0x04) // _S5_: S5 System State { 0x05, 0x05, Zero, Zero })"), dsl);
    }

    private static final dev.ember.pci.PciResources PCI = new dev.ember.pci.PciResources(0xe000_0000L, 1 << 20, 0, 0,
            0xe010_0000L, 0x1df0_0000L, 0x1_4000_0000L, 64L << 30);

    @Test
    void withPciTheDsdtHasAHostBridgeWithItsBusRangeAndWindows() throws Exception {
        String dsl = disassembleSource("dsdtpci", AcpiTables.dsdt(PCI));
        String flat = dsl.replaceAll("\\s+", " ");
        assertTrue(flat.contains("Name (\\_S5, Package (0x04)"), dsl);
        assertTrue(flat.contains("Scope (\\_SB) { Device (PCI0) {"), dsl);
        assertTrue(flat.contains("Name (_HID, EisaId (\"PNP0A08\")"), dsl);
        assertTrue(flat.contains("Name (_CID, EisaId (\"PNP0A03\")"), dsl);
        assertTrue(flat.contains("Name (_SEG, Zero)"), dsl);
        assertTrue(flat.contains("Name (_BBN, Zero)"), dsl);
        assertTrue(flat.contains("WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0x0000, // Granularity 0x0000, // Range Minimum 0x0000, // Range Maximum 0x0000, // Translation Offset 0x0001, // Length"), dsl);
        assertTrue(flat.contains("DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0x00000000, // Granularity 0xE0100000, // Range Minimum 0xFDFFFFFF, // Range Maximum 0x00000000, // Translation Offset 0x1DF00000, // Length"), dsl);
        assertTrue(flat.contains("QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0x0000000000000000, // Granularity 0x0000000140000000, // Range Minimum 0x000000113FFFFFFF, // Range Maximum 0x0000000000000000, // Translation Offset 0x0000001000000000, // Length"), dsl);
        // The ECAM window reserved as a motherboard resource: Linux's condition for using MMCONFIG.
        assertTrue(flat.contains("Device (MBRD) { Name (_HID, EisaId (\"PNP0C02\")"), dsl);
        assertTrue(flat.contains("Memory32Fixed (ReadWrite, 0xE0000000, // Address Base 0x00100000, // Address Length"), dsl);
    }

    @Test
    void withPciMcfgGivesTheEcamWindowOfSegment0AndTheXsdtListsIt() throws Exception {
        Map<String, String> m = disassemble("mcfg", AcpiTables.mcfg(PCI));
        assertEquals("00000000E0000000", m.get("44:Base Address"), m.toString());
        assertEquals("0000", m.get("52:Segment Group Number"), m.toString());
        assertEquals("00", m.get("54:Start Bus Number"), m.toString());
        assertEquals("00", m.get("55:End Bus Number"), m.toString());
        AcpiTables.Layout l = AcpiTables.layout(2, PCI);
        byte[] image = AcpiTables.image(2, PCI);
        int x = (int) (l.xsdt() - AcpiTables.RSDP_ADDRESS);
        Map<String, String> xsdt = disassemble("xsdtpci", Arrays.copyOfRange(image, x, x + AcpiTables.HEADER_SIZE + 24));
        assertEquals(String.format("%016X", l.mcfg()), xsdt.get("52:ACPI Table Address   2"));
        assertEquals(l.end() - AcpiTables.RSDP_ADDRESS, image.length);
        assertEquals(0, AcpiTables.layout(2).mcfg(), "no MCFG without PCI");
    }

    @Test
    void xsdtAndFacsAsIaslReadsThem() throws Exception {
        AcpiTables.Layout l = AcpiTables.layout(1);
        Map<String, String> x = disassemble("xsdt", AcpiTables.xsdt(l.fadt(), l.madt()));
        assertEquals(String.format("%016X", l.fadt()), x.get("36:ACPI Table Address   0"));
        assertEquals(String.format("%016X", l.madt()), x.get("44:ACPI Table Address   1"));
        Map<String, String> facs = disassemble("facs", AcpiTables.facs());
        assertEquals("00000040", facs.get("4:Length"));
        assertEquals("02", facs.get("32:Version"));
        assertEquals(0, l.facs() % 64, "FACS is 64-byte aligned");
    }

    @Test
    void everyTableSumsToZeroAndTheRsdpBothWays() {
        for (int vcpus : new int[] {1, 2, 32}) {
            AcpiTables.Layout l = AcpiTables.layout(vcpus);
            byte[] rsdp = table(l.rsdp(), AcpiTables.RSDP_SIZE, vcpus);
            assertEquals(0, sum(rsdp, 20), "RSDP 1.0 checksum");
            assertEquals(0, sum(rsdp, 36), "RSDP extended checksum");
            for (byte[] t : List.of(AcpiTables.dsdt(), AcpiTables.madt(vcpus), Fadt.build(l.facs(), l.dsdt()),
                    AcpiTables.xsdt(l.fadt(), l.madt()))) {
                assertEquals(0, sum(t, t.length), new String(t, 0, 4, StandardCharsets.US_ASCII) + " checksum");
            }
            assertTrue(l.end() - AcpiTables.RSDP_ADDRESS <= AcpiTables.AREA_SIZE);
        }
        assertThrows(IllegalArgumentException.class, () -> AcpiTables.image(33));
        assertThrows(IllegalArgumentException.class, () -> AcpiTables.image(0));
    }

    @Test
    void tablesWrittenToGuestMemoryAreFoundAsLinuxFindsThem() {
        try (GuestMemory mem = GuestMemory.create(4 << 20)) {
            assertEquals(AcpiTables.RSDP_ADDRESS, AcpiTables.write(mem, 4));
            long rsdp = findRsdp(mem);
            assertEquals(AcpiTables.RSDP_ADDRESS, rsdp);
            assertEquals(4, madtProcessors(mem, rsdp));
            long fadt = xsdtEntry(mem, rsdp, "FACP");
            long dsdt = mem.getLong(fadt + Fadt.X_DSDT);
            assertEquals("DSDT", signature(mem, dsdt));
            assertEquals("FACS", signature(mem, mem.getLong(fadt + Fadt.X_FIRMWARE_CTRL)));
        }
    }

    @Test
    void amlEncodesIntegersAndPackageLengthsInTheirShortestForms() throws Exception {
        assertArrayEquals(new byte[] {0x00}, Aml.integer(0));
        assertArrayEquals(new byte[] {0x01}, Aml.integer(1));
        assertArrayEquals(new byte[] {0x0a, 0x05}, Aml.integer(5));
        assertArrayEquals(new byte[] {0x0b, 0x34, 0x12}, Aml.integer(0x1234));
        assertArrayEquals(new byte[] {0x0c, 0x78, 0x56, 0x34, 0x12}, Aml.integer(0x12345678));
        assertEquals(9, Aml.integer(0x1_0000_0000L).length);
        assertArrayEquals(new byte[] {0x3f}, Aml.pkgLength(62));
        // 63 body bytes + 2 length bytes = 65 = 0x41: low nibble 1 in the lead byte, 0x4 next.
        assertArrayEquals(new byte[] {0x41, 0x04}, Aml.pkgLength(63));
        assertArrayEquals(new byte[] {(byte) 0x82, 0x34, 0x12}, Aml.pkgLength(0x12342 - 3));
        assertThrows(IllegalArgumentException.class, () -> Aml.nameSeg("_S5"));
        // A package long enough for a two-byte PkgLength, read back by iasl element by element.
        long[] many = new long[40];
        for (int i = 0; i < many.length; i++) {
            many[i] = 0x100L * i;
        }
        byte[] aml = Aml.name("TEST", Aml.packageOf(many));
        ByteArrayTable dsdt = new ByteArrayTable(aml);
        String flat = disassembleSource("long", dsdt.bytes()).replaceAll("\\s+", " ");
        assertTrue(flat.contains("Name (\\TEST, Package (0x28) { Zero, 0x0100, 0x0200,"), flat);
        assertTrue(flat.contains("0x2700 })"), flat);
    }

    /** A DSDT around arbitrary AML, so iasl disassembles it. */
    private record ByteArrayTable(byte[] aml) {
        byte[] bytes() {
            var b = AcpiTables.table("DSDT", AcpiTables.DSDT_REVISION, AcpiTables.HEADER_SIZE + aml.length);
            b.put(AcpiTables.HEADER_SIZE, aml);
            return AcpiTables.seal(b);
        }
    }

    // ------------------------------------------------------------ guest-memory walk ----

    /** Scans 0xE0000-0xFFFFF on 16-byte boundaries for a valid RSDP, as ACPICA's acpi_find_root_pointer. */
    static long findRsdp(GuestMemory mem) {
        byte[] sig = "RSD PTR ".getBytes(StandardCharsets.US_ASCII);
        for (long a = 0xE0000; a < 0x100000; a += 16) {
            byte[] b = new byte[36];
            mem.read(a, b, 0, b.length);
            if (Arrays.equals(Arrays.copyOf(b, 8), sig) && sum(b, 20) == 0 && sum(b, 36) == 0) {
                return a;
            }
        }
        throw new AssertionError("no RSDP in the BIOS area");
    }

    static long xsdtEntry(GuestMemory mem, long rsdp, String signature) {
        long xsdt = mem.getLong(rsdp + 24);
        assertEquals("XSDT", signature(mem, xsdt));
        int length = mem.getInt(xsdt + 4);
        byte[] t = new byte[length];
        mem.read(xsdt, t, 0, length);
        assertEquals(0, sum(t, length), "XSDT checksum in guest memory");
        for (int off = 36; off < length; off += 8) {
            long table = mem.getLong(xsdt + off);
            if (signature(mem, table).equals(signature)) {
                return table;
            }
        }
        throw new AssertionError("XSDT lists no " + signature);
    }

    /** Enabled local APIC entries of the MADT the RSDP leads to. */
    static int madtProcessors(GuestMemory mem, long rsdp) {
        long madt = xsdtEntry(mem, rsdp, "APIC");
        int length = mem.getInt(madt + 4);
        int n = 0;
        for (long p = madt + 44; p < madt + length; p += mem.getByte(p + 1) & 0xff) {
            if (mem.getByte(p) == 0 && (mem.getInt(p + 4) & 1) != 0) {
                n++;
            }
        }
        return n;
    }

    static String signature(GuestMemory mem, long at) {
        byte[] b = new byte[4];
        mem.read(at, b, 0, 4);
        return new String(b, StandardCharsets.US_ASCII);
    }

    static int sum(byte[] b, int len) {
        int s = 0;
        for (int i = 0; i < len; i++) {
            s += b[i];
        }
        return s & 0xff;
    }

    private static byte[] table(long address, int length, int vcpus) {
        byte[] image = AcpiTables.image(vcpus);
        int at = (int) (address - AcpiTables.RSDP_ADDRESS);
        return Arrays.copyOfRange(image, at, at + length);
    }

    // --------------------------------------------------------------------- iasl -----

    /** "offset:field" → value for every field line; decoded flag lines as "-:name". */
    private Map<String, String> disassemble(String name, byte[] table) throws Exception {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : disassembleSource(name, table).split("\n")) {
            Matcher m = FIELD.matcher(line);
            if (m.matches()) {
                fields.putIfAbsent(Integer.parseInt(m.group(2)) + ":" + m.group(4).trim(), m.group(5).trim());
            } else if (line.matches("^ +[^\\[].* : [0-9]+$")) {
                String[] kv = line.trim().split(" : ");
                fields.putIfAbsent("-:" + kv[0].trim(), kv[1].trim());
            }
        }
        return fields;
    }

    private String disassembleSource(String name, byte[] table) throws Exception {
        assumeTrue(iaslAvailable(), "iasl (Debian package acpica-tools, installed by bin/lib/common.sh) is needed");
        Path dat = dir.resolve(name + ".dat");
        Files.write(dat, table);
        List<String> cmd = new ArrayList<>(List.of("iasl", "-d", dat.toString()));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "iasl finished");
        assertEquals(0, p.exitValue(), "iasl -d failed:\n" + out);
        assertTrue(!out.toLowerCase().contains("warning") && !out.toLowerCase().contains("error"), "iasl complained:\n" + out);
        return Files.readString(dir.resolve(name + ".dsl"));
    }

    private static boolean iaslAvailable() {
        try {
            Process p = new ProcessBuilder("iasl", "-v").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS);
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
