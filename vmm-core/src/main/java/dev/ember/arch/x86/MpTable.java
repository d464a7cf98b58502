package dev.ember.arch.x86;

import dev.ember.memory.GuestMemory;

/**
 * Intel MultiProcessor Specification 1.4 tables, which tell a kernel without ACPI how many CPUs
 * there are, where the I/O APIC is and how ISA interrupts reach it. Written into the EBDA
 * (639 KiB), one of the places Linux scans for the "_MP_" floating pointer.
 *
 * <p>Contents, as Firecracker writes them: a processor entry per vCPU (APIC id = vCPU index,
 * vCPU 0 is the boot processor), one ISA bus, one I/O APIC (id = vCPU count, at 0xFEC00000),
 * an interrupt-assignment entry per I/O APIC pin (bus IRQ n to pin n, bus defaults: edge,
 * active high), and LINT0 = ExtINT / LINT1 = NMI. Struct layouts follow the kernel's
 * {@code arch/x86/include/asm/mpspec_def.h}; MpTableLayoutTest checks them with gcc.
 */
public final class MpTable {
    public static final int MAX_VCPUS = 32;
    public static final long LAPIC_ADDRESS = 0xFEE0_0000L;
    public static final long IOAPIC_ADDRESS = 0xFEC0_0000L;
    /** Pins of the I/O APIC KVM emulates (KVM_IOAPIC_NUM_PINS). */
    public static final int IOAPIC_PINS = 24;
    /** Local APIC version register value of KVM's LAPIC (integrated APIC). */
    public static final int LAPIC_VERSION = 0x14;
    /** Version register value of KVM's I/O APIC (IOAPIC_VERSION_ID). */
    public static final int IOAPIC_VERSION = 0x11;
    public static final int SPEC_REV_1_4 = 4;

    // struct mpf_intel
    public static final int MPF_SIZE = 16;
    public static final int MPF_SIGNATURE = 0, MPF_PHYSPTR = 4, MPF_LENGTH = 8, MPF_SPECIFICATION = 9,
            MPF_CHECKSUM = 10, MPF_FEATURE1 = 11;
    // struct mpc_table
    public static final int MPC_SIZE = 44;
    public static final int MPC_SIGNATURE = 0, MPC_LENGTH = 4, MPC_SPEC = 6, MPC_CHECKSUM = 7, MPC_OEM = 8,
            MPC_PRODUCTID = 16, MPC_OEMPTR = 28, MPC_OEMSIZE = 32, MPC_OEMCOUNT = 34, MPC_LAPIC = 36, MPC_RESERVED = 40;
    // struct mpc_cpu
    public static final int CPU_SIZE = 20;
    public static final int CPU_TYPE = 0, CPU_APICID = 1, CPU_APICVER = 2, CPU_CPUFLAG = 3, CPU_CPUFEATURE = 4,
            CPU_FEATUREFLAG = 8;
    // struct mpc_bus
    public static final int BUS_SIZE = 8;
    public static final int BUS_TYPE = 0, BUS_BUSID = 1, BUS_BUSTYPE = 2;
    // struct mpc_ioapic
    public static final int IOAPIC_SIZE = 8;
    public static final int IOAPIC_TYPE = 0, IOAPIC_APICID = 1, IOAPIC_APICVER = 2, IOAPIC_FLAGS = 3, IOAPIC_APICADDR = 4;
    // struct mpc_intsrc and struct mpc_lintsrc share one layout
    public static final int INTSRC_SIZE = 8;
    public static final int INTSRC_TYPE = 0, INTSRC_IRQTYPE = 1, INTSRC_IRQFLAG = 2, INTSRC_SRCBUS = 4,
            INTSRC_SRCBUSIRQ = 5, INTSRC_DSTAPIC = 6, INTSRC_DSTIRQ = 7;

    public static final int MP_PROCESSOR = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_INTSRC = 3, MP_LINTSRC = 4;
    public static final int CPU_ENABLED = 1, CPU_BOOTPROCESSOR = 2;
    public static final int MPC_APIC_USABLE = 1;
    public static final int MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3;
    public static final int MP_IRQPOL_DEFAULT = 0;
    public static final int MP_APIC_ALL = 0xff;
    /** cpufeature: family 6 (stepping/model 0), as Firecracker reports. */
    public static final int CPU_SIGNATURE = 0x600;
    /** featureflag: CPUID.1:EDX FPU and APIC bits. */
    public static final int CPU_FEATURES = (1 << 0) | (1 << 9);
    public static final int ISA_BUS_ID = 0;

    private static final byte[] MPF_MAGIC = {'_', 'M', 'P', '_'};
    private static final byte[] MPC_MAGIC = {'P', 'C', 'M', 'P'};
    private static final byte[] OEM = {'E', 'M', 'B', 'E', 'R', ' ', ' ', ' '};
    private static final byte[] PRODUCT = {'M', 'I', 'C', 'R', 'O', 'V', 'M', ' ', ' ', ' ', ' ', ' '};
    private static final byte[] BUSTYPE_ISA = {'I', 'S', 'A', ' ', ' ', ' '};

    private MpTable() {}

    /** Bytes the floating pointer and the configuration table take for {@code vcpus} CPUs. */
    public static int size(int vcpus) {
        return MPF_SIZE + MPC_SIZE + vcpus * CPU_SIZE + BUS_SIZE + IOAPIC_SIZE + (IOAPIC_PINS + 2) * INTSRC_SIZE;
    }

    /** Writes the tables at {@code start} (normally {@link BootLayout#MPTABLE_START}); returns the end address. */
    public static long write(GuestMemory mem, long start, int vcpus) {
        if (vcpus < 1 || vcpus > MAX_VCPUS) {
            throw new IllegalArgumentException("vcpu count must be between 1 and " + MAX_VCPUS + " for the MP table, got " + vcpus);
        }
        int size = size(vcpus);
        if (!mem.isValid(start, size)) {
            throw new KernelLoadException(KernelLoadException.Reason.MEMORY, String.format("MP table [0x%x, 0x%x) lies outside guest RAM", start, start + size));
        }
        mem.fill(start, size, (byte) 0);
        long mpc = start + MPF_SIZE;
        mem.write(start + MPF_SIGNATURE, MPF_MAGIC, 0, 4);
        mem.putInt(start + MPF_PHYSPTR, (int) mpc);
        mem.putByte(start + MPF_LENGTH, (byte) 1);            // in 16-byte paragraphs
        mem.putByte(start + MPF_SPECIFICATION, (byte) SPEC_REV_1_4);
        // feature1 = 0: a configuration table is present (no default configuration).
        mem.putByte(start + MPF_CHECKSUM, checksum(mem, start, MPF_SIZE));

        long p = mpc + MPC_SIZE;
        int entries = 0;
        for (int cpu = 0; cpu < vcpus; cpu++, entries++, p += CPU_SIZE) {
            mem.putByte(p + CPU_TYPE, (byte) MP_PROCESSOR);
            mem.putByte(p + CPU_APICID, (byte) cpu);
            mem.putByte(p + CPU_APICVER, (byte) LAPIC_VERSION);
            mem.putByte(p + CPU_CPUFLAG, (byte) (CPU_ENABLED | (cpu == 0 ? CPU_BOOTPROCESSOR : 0)));
            mem.putInt(p + CPU_CPUFEATURE, CPU_SIGNATURE);
            mem.putInt(p + CPU_FEATUREFLAG, CPU_FEATURES);
        }
        mem.putByte(p + BUS_TYPE, (byte) MP_BUS);
        mem.putByte(p + BUS_BUSID, (byte) ISA_BUS_ID);
        mem.write(p + BUS_BUSTYPE, BUSTYPE_ISA, 0, BUSTYPE_ISA.length);
        p += BUS_SIZE;
        entries++;

        int ioapicId = vcpus;
        mem.putByte(p + IOAPIC_TYPE, (byte) MP_IOAPIC);
        mem.putByte(p + IOAPIC_APICID, (byte) ioapicId);
        mem.putByte(p + IOAPIC_APICVER, (byte) IOAPIC_VERSION);
        mem.putByte(p + IOAPIC_FLAGS, (byte) MPC_APIC_USABLE);
        mem.putInt(p + IOAPIC_APICADDR, (int) IOAPIC_ADDRESS);
        p += IOAPIC_SIZE;
        entries++;

        for (int pin = 0; pin < IOAPIC_PINS; pin++, entries++, p += INTSRC_SIZE) {
            putIntSource(mem, p, MP_INTSRC, MP_INT, pin, ioapicId, pin);
        }
        putIntSource(mem, p, MP_LINTSRC, MP_EXTINT, 0, 0, 0);
        p += INTSRC_SIZE;
        entries++;
        putIntSource(mem, p, MP_LINTSRC, MP_NMI, 0, MP_APIC_ALL, 1);
        p += INTSRC_SIZE;
        entries++;

        int length = (int) (p - mpc);
        mem.write(mpc + MPC_SIGNATURE, MPC_MAGIC, 0, 4);
        mem.putShort(mpc + MPC_LENGTH, (short) length);
        mem.putByte(mpc + MPC_SPEC, (byte) SPEC_REV_1_4);
        mem.write(mpc + MPC_OEM, OEM, 0, OEM.length);
        mem.write(mpc + MPC_PRODUCTID, PRODUCT, 0, PRODUCT.length);
        mem.putShort(mpc + MPC_OEMCOUNT, (short) entries);
        mem.putInt(mpc + MPC_LAPIC, (int) LAPIC_ADDRESS);
        mem.putByte(mpc + MPC_CHECKSUM, checksum(mem, mpc, length));
        return p;
    }

    private static void putIntSource(GuestMemory mem, long p, int type, int irqType, int srcIrq, int dstApic, int dst) {
        mem.putByte(p + INTSRC_TYPE, (byte) type);
        mem.putByte(p + INTSRC_IRQTYPE, (byte) irqType);
        mem.putShort(p + INTSRC_IRQFLAG, (short) MP_IRQPOL_DEFAULT);
        mem.putByte(p + INTSRC_SRCBUS, (byte) ISA_BUS_ID);
        mem.putByte(p + INTSRC_SRCBUSIRQ, (byte) srcIrq);
        mem.putByte(p + INTSRC_DSTAPIC, (byte) dstApic);
        mem.putByte(p + INTSRC_DSTIRQ, (byte) dst);
    }

    /** The byte that makes {@code [start, start+len)} (whose checksum byte is still 0) sum to zero. */
    private static byte checksum(GuestMemory mem, long start, int len) {
        int sum = 0;
        for (int i = 0; i < len; i++) {
            sum += mem.getByte(start + i);
        }
        return (byte) -sum;
    }
}
