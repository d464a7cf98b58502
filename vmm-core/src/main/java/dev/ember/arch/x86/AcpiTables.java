package dev.ember.arch.x86;

import dev.ember.memory.GuestMemory;
import dev.ember.pci.PciResources;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * ACPI tables written into the BIOS area (0xE0000, reserved in the e820 map) so a kernel with
 * ACPI finds its CPUs in the MADT and can power the VM off: RSDP (revision 2) → XSDT → FADT
 * (→ FACS, DSDT) and MADT. The MP table stays too, for guests booted with {@code acpi=off} or
 * built without ACPI.
 *
 * <p>The FADT describes a PC with fixed ACPI hardware, not a hardware-reduced one: in
 * hardware-reduced mode Linux drops the legacy PIC ({@code acpi_generic_reduced_hw_init}), its
 * I/O APIC then hands out interrupt numbers dynamically and only to devices the DSDT describes,
 * so the virtio-mmio devices given on the command line and COM1's IRQ 4 would get no interrupt
 * at all. With fixed hardware, ISA IRQs 0-15 stay identity-mapped as the MP table says, and
 * {@code poweroff} writes SLP_TYP(S5)|SLP_EN to PM1a_CNT ({@link AcpiPm}), where a device ends
 * the VM. Layouts: ACPI 6.5 chapter 5; {@code AcpiTablesTest} checks them with {@code iasl -d}.
 *
 * <p>With PCI ({@code --enable-pci}) two more things: the MCFG table, which gives Linux the ECAM
 * window of segment 0, buses 0-0 (its only configuration mechanism: there is no 0xCF8 port), and
 * a PCI host bridge in the DSDT ({@code \_SB.PCI0}, PNP0A08 compatible with PNP0A03, _SEG/_BBN 0)
 * whose _CRS lists the bus range and the two memory windows BARs live in; Linux then scans bus 0
 * through ECAM and keeps the BAR addresses Ember assigned because they sit inside those windows.
 */
public final class AcpiTables {
    /** Where the RSDP goes: the first 16-byte boundary Linux scans in 0xE0000-0xFFFFF. */
    public static final long RSDP_ADDRESS = 0xE0000;
    /** Bytes the tables may take from RSDP_ADDRESS: the rest of the BIOS area below 1 MiB. */
    public static final int AREA_SIZE = 0x20000;

    static final String OEM_ID = "EMBER ", OEM_TABLE_ID = "EMBERVM ", CREATOR_ID = "EMBR";
    static final int OEM_REVISION = 1, CREATOR_REVISION = 1;

    // RSDP (ACPI 6.5 table 5.3)
    static final int RSDP_SIZE = 36, RSDP_V1_SIZE = 20;
    static final int RSDP_CHECKSUM = 8, RSDP_OEMID = 9, RSDP_REVISION = 15, RSDP_RSDT = 16, RSDP_LENGTH = 20,
            RSDP_XSDT = 24, RSDP_EXT_CHECKSUM = 32;
    // System description table header (table 5.4)
    static final int HEADER_SIZE = 36;
    static final int HDR_LENGTH = 4, HDR_REVISION = 8, HDR_CHECKSUM = 9, HDR_OEMID = 10, HDR_OEM_TABLE_ID = 16,
            HDR_OEM_REVISION = 24, HDR_CREATOR_ID = 28, HDR_CREATOR_REVISION = 32;
    // FACS (table 5.14): no checksum, 64-byte aligned
    static final int FACS_SIZE = 64, FACS_LENGTH = 4, FACS_VERSION = 32, FACS_VERSION_2 = 2;
    // MADT (table 5.19) and its entries
    static final int MADT_REVISION = 5, MADT_LAPIC_ADDRESS = 36, MADT_FLAGS = 40, MADT_ENTRIES = 44;
    static final int MADT_PCAT_COMPAT = 1;
    static final int MADT_TYPE_LAPIC = 0, MADT_LAPIC_LEN = 8, MADT_LAPIC_ENABLED = 1;
    static final int MADT_TYPE_IOAPIC = 1, MADT_IOAPIC_LEN = 12;
    static final int MADT_TYPE_ISO = 2, MADT_ISO_LEN = 10;
    static final int MADT_TYPE_LAPIC_NMI = 4, MADT_LAPIC_NMI_LEN = 6;
    /** MPS INTI flags: polarity active high (01), trigger edge (01 << 2) or level (11 << 2). */
    static final int INTI_HIGH_EDGE = 0x5, INTI_HIGH_LEVEL = 0xd;
    static final int ALL_PROCESSORS = 0xff;
    static final int DSDT_REVISION = 2, XSDT_REVISION = 1;

    private AcpiTables() {}

    /** Guest-physical addresses of each table, as {@link #image} lays them out from {@link #RSDP_ADDRESS}. */
    record Layout(long rsdp, long facs, long dsdt, long fadt, long madt, long mcfg, long xsdt, long end) {}

    static Layout layout(int vcpus) {
        return layout(vcpus, null);
    }

    /** With {@code pci} null there is no MCFG (its address is 0) and the XSDT lists two tables. */
    static Layout layout(int vcpus, PciResources pci) {
        long rsdp = RSDP_ADDRESS;
        long facs = align(rsdp + RSDP_SIZE, 64);
        long dsdt = align(facs + FACS_SIZE, 16);
        long fadt = align(dsdt + dsdt(pci).length, 16);
        long madt = align(fadt + Fadt.SIZE, 16);
        long mcfg = pci == null ? 0 : align(madt + madt(vcpus).length, 16);
        long xsdt = align(pci == null ? madt + madt(vcpus).length : mcfg + MCFG_SIZE, 16);
        return new Layout(rsdp, facs, dsdt, fadt, madt, mcfg, xsdt, xsdt + HEADER_SIZE + (pci == null ? 2 : 3) * 8);
    }

    /**
     * Writes every table for {@code vcpus} CPUs and returns the RSDP's address (for
     * boot_params.acpi_rsdp_addr).
     */
    public static long write(GuestMemory mem, int vcpus) {
        return write(mem, vcpus, null);
    }

    /** {@link #write(GuestMemory, int)}, plus MCFG and the host bridge when {@code pci} is not null. */
    public static long write(GuestMemory mem, int vcpus, PciResources pci) {
        byte[] image = image(vcpus, pci);
        if (!mem.isValid(RSDP_ADDRESS, image.length)) {
            throw new KernelLoadException(KernelLoadException.Reason.MEMORY, String.format("ACPI tables [0x%x, 0x%x) lie outside guest RAM", RSDP_ADDRESS,
                    RSDP_ADDRESS + image.length));
        }
        mem.write(RSDP_ADDRESS, image, 0, image.length);
        return RSDP_ADDRESS;
    }

    /** All tables as the bytes from {@link #RSDP_ADDRESS} on. */
    static byte[] image(int vcpus) {
        return image(vcpus, null);
    }

    static byte[] image(int vcpus, PciResources pci) {
        if (vcpus < 1 || vcpus > MpTable.MAX_VCPUS) {
            throw new IllegalArgumentException("vcpu count must be between 1 and " + MpTable.MAX_VCPUS + " for the MADT, got " + vcpus);
        }
        Layout l = layout(vcpus, pci);
        byte[] image = new byte[(int) (l.end() - RSDP_ADDRESS)];
        if (image.length > AREA_SIZE) {
            throw new IllegalStateException("ACPI tables take " + image.length + " bytes, more than the BIOS area's " + AREA_SIZE);
        }
        put(image, l.rsdp(), rsdp(l.xsdt()));
        put(image, l.facs(), facs());
        put(image, l.dsdt(), dsdt(pci));
        put(image, l.fadt(), Fadt.build(l.facs(), l.dsdt()));
        put(image, l.madt(), madt(vcpus));
        if (pci == null) {
            put(image, l.xsdt(), xsdt(l.fadt(), l.madt()));
        } else {
            put(image, l.mcfg(), mcfg(pci));
            put(image, l.xsdt(), xsdt(l.fadt(), l.madt(), l.mcfg()));
        }
        return image;
    }

    static byte[] rsdp(long xsdt) {
        ByteBuffer b = buffer(RSDP_SIZE);
        b.put(0, ascii("RSD PTR "));
        b.put(RSDP_OEMID, ascii(OEM_ID));
        b.put(RSDP_REVISION, (byte) 2);
        b.putInt(RSDP_RSDT, 0);                    // no RSDT: revision 2 readers take the XSDT
        b.putInt(RSDP_LENGTH, RSDP_SIZE);
        b.putLong(RSDP_XSDT, xsdt);
        byte[] t = b.array();
        t[RSDP_CHECKSUM] = checksum(t, 0, RSDP_V1_SIZE);
        t[RSDP_EXT_CHECKSUM] = checksum(t, 0, RSDP_SIZE);
        return t;
    }

    static byte[] facs() {
        ByteBuffer b = buffer(FACS_SIZE);
        b.put(0, ascii("FACS"));
        b.putInt(FACS_LENGTH, FACS_SIZE);
        b.put(FACS_VERSION, (byte) FACS_VERSION_2);
        return b.array();
    }

    /** DSDT: {@code Name(\_S5_, Package(4) {SLP_TYP_S5, SLP_TYP_S5, 0, 0})}, the soft-off sleep type. */
    static byte[] dsdt() {
        return dsdt(null);
    }

    /** The DSDT, with the PCI host bridge {@code \_SB.PCI0} after {@code \_S5_} when {@code pci} is not null. */
    static byte[] dsdt(PciResources pci) {
        byte[] aml = Aml.name("_S5_", Aml.packageOf(AcpiPm.SLP_TYP_S5, AcpiPm.SLP_TYP_S5, 0, 0));
        if (pci != null) {
            byte[] bridge = hostBridge(pci);
            byte[] both = new byte[aml.length + bridge.length];
            System.arraycopy(aml, 0, both, 0, aml.length);
            System.arraycopy(bridge, 0, both, aml.length, bridge.length);
            aml = both;
        }
        ByteBuffer b = table("DSDT", DSDT_REVISION, HEADER_SIZE + aml.length);
        b.put(HEADER_SIZE, aml);
        return seal(b);
    }

    /**
     * {@code Scope(\_SB) { Device(PCI0) { _HID PNP0A08, _CID PNP0A03, _SEG 0, _BBN first bus, _UID 0,
     * _CRS { bus range, 32-bit window, 64-bit window } } }}. Linux's ACPI PCI root driver binds to
     * PNP0A08/PNP0A03 and takes the windows from _CRS (its default for firmware with a DSDT).
     */
    static byte[] hostBridge(PciResources pci) {
        byte[] crs = pci.mmio64Size() > 0
                ? Aml.resourceTemplate(Aml.wordBusNumber(pci.firstBus(), pci.lastBus()), Aml.dwordMemory(pci.mmio32Base(), pci.mmio32Size()),
                        Aml.qwordMemory(pci.mmio64Base(), pci.mmio64Size()))
                : Aml.resourceTemplate(Aml.wordBusNumber(pci.firstBus(), pci.lastBus()), Aml.dwordMemory(pci.mmio32Base(), pci.mmio32Size()));
        return Aml.scope("_SB_", Aml.device("PCI0",
                Aml.localName("_HID", Aml.eisaId("PNP0A08")),
                Aml.localName("_CID", Aml.eisaId("PNP0A03")),
                Aml.localName("_SEG", Aml.integer(0)),
                Aml.localName("_BBN", Aml.integer(pci.firstBus())),
                Aml.localName("_UID", Aml.integer(0)),
                Aml.localName("_CRS", crs)),
                motherboardResources(pci));
    }

    /**
     * {@code Device(MBRD) { _HID PNP0C02, _UID 0, _CRS { Memory32Fixed(ECAM) } }}: the ECAM window
     * as a motherboard resource. Linux uses MMCONFIG only where ACPI reserves it so (or, with the
     * 0xCF8 mechanism present, E820): without it, and with no 0xCF8 ports, it finds no way to
     * reach configuration space and says "PCI: System does not support PCI".
     */
    static byte[] motherboardResources(PciResources pci) {
        return Aml.device("MBRD",
                Aml.localName("_HID", Aml.eisaId("PNP0C02")),
                Aml.localName("_UID", Aml.integer(0)),
                Aml.localName("_CRS", Aml.resourceTemplate(Aml.memory32Fixed(pci.ecamBase(), pci.ecamSize()))));
    }

    static final int MCFG_REVISION = 1, MCFG_ENTRIES = 44, MCFG_SIZE = MCFG_ENTRIES + 16;

    /** MCFG (PCI Firmware Specification 3.0, 4.1.2): one allocation, ECAM of segment 0 for the bus range. */
    static byte[] mcfg(PciResources pci) {
        ByteBuffer b = table("MCFG", MCFG_REVISION, MCFG_SIZE);
        b.putLong(MCFG_ENTRIES, pci.ecamBase());
        b.putShort(MCFG_ENTRIES + 8, (short) 0);
        b.put(MCFG_ENTRIES + 10, (byte) pci.firstBus());
        b.put(MCFG_ENTRIES + 11, (byte) pci.lastBus());
        return seal(b);
    }

    /**
     * MADT: a local APIC per vCPU (processor UID = APIC id = vCPU index, as the MP table), the
     * I/O APIC (id = vCPU count, GSI base 0), the SCI's override (ISA IRQ 9 → GSI 9, level,
     * active high; every other ISA IRQ keeps ACPI's default identity mapping, edge, active high,
     * which is what the MP table assigns) and LINT1 = NMI on every processor.
     */
    static byte[] madt(int vcpus) {
        int length = MADT_ENTRIES + vcpus * MADT_LAPIC_LEN + MADT_IOAPIC_LEN + MADT_ISO_LEN + MADT_LAPIC_NMI_LEN;
        ByteBuffer b = table("APIC", MADT_REVISION, length);
        b.putInt(MADT_LAPIC_ADDRESS, (int) MpTable.LAPIC_ADDRESS);
        b.putInt(MADT_FLAGS, MADT_PCAT_COMPAT);
        b.position(MADT_ENTRIES);
        for (int cpu = 0; cpu < vcpus; cpu++) {
            b.put((byte) MADT_TYPE_LAPIC).put((byte) MADT_LAPIC_LEN).put((byte) cpu).put((byte) cpu).putInt(MADT_LAPIC_ENABLED);
        }
        b.put((byte) MADT_TYPE_IOAPIC).put((byte) MADT_IOAPIC_LEN).put((byte) vcpus).put((byte) 0)
                .putInt((int) MpTable.IOAPIC_ADDRESS).putInt(0);
        b.put((byte) MADT_TYPE_ISO).put((byte) MADT_ISO_LEN).put((byte) 0).put((byte) AcpiPm.SCI_IRQ)
                .putInt(AcpiPm.SCI_IRQ).putShort((short) INTI_HIGH_LEVEL);
        b.put((byte) MADT_TYPE_LAPIC_NMI).put((byte) MADT_LAPIC_NMI_LEN).put((byte) ALL_PROCESSORS)
                .putShort((short) INTI_HIGH_EDGE).put((byte) 1);
        return seal(b);
    }

    static byte[] xsdt(long... tables) {
        ByteBuffer b = table("XSDT", XSDT_REVISION, HEADER_SIZE + 8 * tables.length);
        for (int i = 0; i < tables.length; i++) {
            b.putLong(HEADER_SIZE + 8 * i, tables[i]);
        }
        return seal(b);
    }

    /** A table of {@code length} bytes with its header filled in, checksum still 0. */
    static ByteBuffer table(String signature, int revision, int length) {
        ByteBuffer b = buffer(length);
        b.put(0, ascii(signature));
        b.putInt(HDR_LENGTH, length);
        b.put(HDR_REVISION, (byte) revision);
        b.put(HDR_OEMID, ascii(OEM_ID));
        b.put(HDR_OEM_TABLE_ID, ascii(OEM_TABLE_ID));
        b.putInt(HDR_OEM_REVISION, OEM_REVISION);
        b.put(HDR_CREATOR_ID, ascii(CREATOR_ID));
        b.putInt(HDR_CREATOR_REVISION, CREATOR_REVISION);
        return b;
    }

    static byte[] seal(ByteBuffer b) {
        byte[] t = b.array();
        t[HDR_CHECKSUM] = checksum(t, 0, t.length);
        return t;
    }

    /** The byte that makes {@code t[from, from+len)} (whose checksum byte is still 0) sum to zero. */
    static byte checksum(byte[] t, int from, int len) {
        int sum = 0;
        for (int i = from; i < from + len; i++) {
            sum += t[i];
        }
        return (byte) -sum;
    }

    static ByteBuffer buffer(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static long align(long v, int to) {
        return (v + to - 1) & -to;
    }

    private static void put(byte[] image, long address, byte[] table) {
        System.arraycopy(table, 0, image, (int) (address - RSDP_ADDRESS), table.length);
    }
}
