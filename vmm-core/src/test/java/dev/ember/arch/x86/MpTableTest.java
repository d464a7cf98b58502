package dev.ember.arch.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.memory.GuestMemory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Writes MP tables and parses them back the way Linux's mpparse.c finds and checks them. */
class MpTableTest {
    record Entry(int type, int offset) {}

    /** Linux's smp_scan_config: 16-byte steps, "_MP_", length 1, spec 1 or 4, checksum 0. */
    static long findFloatingPointer(GuestMemory mem, long base, long len) {
        for (long a = base; a < base + len; a += 16) {
            if (mem.getInt(a) == 0x5f504d5f && mem.getByte(a + MpTable.MPF_LENGTH) == 1
                    && (mem.getByte(a + MpTable.MPF_SPECIFICATION) == 1 || mem.getByte(a + MpTable.MPF_SPECIFICATION) == 4)
                    && sum(mem, a, 16) == 0) {
                return a;
            }
        }
        return -1;
    }

    static int sum(GuestMemory mem, long start, int len) {
        int s = 0;
        for (int i = 0; i < len; i++) {
            s += mem.getByte(start + i);
        }
        return s & 0xff;
    }

    static String ascii(GuestMemory mem, long at, int len) {
        byte[] b = new byte[len];
        mem.read(at, b, 0, len);
        return new String(b, java.nio.charset.StandardCharsets.US_ASCII);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 32})
    void tableParsesBackWithValidChecksumsAndEntries(int vcpus) {
        try (GuestMemory mem = GuestMemory.create(2 << 20)) {
            mem.fill(BootLayout.EBDA_START, 0x400, (byte) 0xee);  // stale bytes must not leak into the table
            long end = MpTable.write(mem, BootLayout.MPTABLE_START, vcpus);
            assertTrue(end <= BootLayout.EBDA_START + 0x400, "MP table must fit the 1 KiB EBDA Linux scans, ends at 0x" + Long.toHexString(end));
            assertEquals(BootLayout.MPTABLE_START + MpTable.size(vcpus), end);

            long mpf = findFloatingPointer(mem, 639 * 0x400, 0x400);
            assertEquals(BootLayout.MPTABLE_START, mpf, "floating pointer found where Linux scans (639 KiB)");
            assertEquals(0, mem.getByte(mpf + MpTable.MPF_FEATURE1), "feature1 0 = configuration table present");
            long mpc = mem.getInt(mpf + MpTable.MPF_PHYSPTR) & 0xffffffffL;
            assertEquals(mpf + 16, mpc);

            assertEquals("PCMP", ascii(mem, mpc, 4));
            int length = mem.getShort(mpc + MpTable.MPC_LENGTH) & 0xffff;
            assertEquals(0, sum(mem, mpc, length), "configuration table checksum");
            assertEquals(4, mem.getByte(mpc + MpTable.MPC_SPEC));
            assertEquals("EMBER   ", ascii(mem, mpc + MpTable.MPC_OEM, 8));
            assertEquals(MpTable.LAPIC_ADDRESS, mem.getInt(mpc + MpTable.MPC_LAPIC) & 0xffffffffL);
            assertEquals(0, mem.getInt(mpc + MpTable.MPC_OEMPTR));
            int count = mem.getShort(mpc + MpTable.MPC_OEMCOUNT) & 0xffff;
            assertEquals(vcpus + 1 + 1 + 24 + 2, count);

            // Walk the entries as mpparse.c does: size by type, within length.
            List<Entry> entries = new ArrayList<>();
            long p = mpc + MpTable.MPC_SIZE;
            for (int i = 0; i < count; i++) {
                int type = mem.getByte(p);
                entries.add(new Entry(type, (int) (p - mpc)));
                p += type == MpTable.MP_PROCESSOR ? MpTable.CPU_SIZE : 8;
            }
            assertEquals(mpc + length, p, "entries fill the table exactly");

            int i = 0;
            for (int cpu = 0; cpu < vcpus; cpu++, i++) {
                long e = mpc + entries.get(i).offset();
                assertEquals(MpTable.MP_PROCESSOR, entries.get(i).type());
                assertEquals(cpu, mem.getByte(e + MpTable.CPU_APICID));
                assertEquals(0x14, mem.getByte(e + MpTable.CPU_APICVER));
                int flags = mem.getByte(e + MpTable.CPU_CPUFLAG);
                assertEquals(cpu == 0 ? 3 : 1, flags, "cpu " + cpu + " enabled, BSP only for cpu 0");
                assertEquals(0x201, mem.getInt(e + MpTable.CPU_FEATUREFLAG), "FPU|APIC feature bits");
            }
            long bus = mpc + entries.get(i++).offset();
            assertEquals(MpTable.MP_BUS, mem.getByte(bus));
            assertEquals(0, mem.getByte(bus + MpTable.BUS_BUSID));
            assertEquals("ISA   ", ascii(mem, bus + MpTable.BUS_BUSTYPE, 6));

            long io = mpc + entries.get(i++).offset();
            assertEquals(MpTable.MP_IOAPIC, mem.getByte(io));
            assertEquals(vcpus, mem.getByte(io + MpTable.IOAPIC_APICID), "I/O APIC id follows the CPUs'");
            assertEquals(MpTable.MPC_APIC_USABLE, mem.getByte(io + MpTable.IOAPIC_FLAGS));
            assertEquals(0xFEC00000L, mem.getInt(io + MpTable.IOAPIC_APICADDR) & 0xffffffffL);

            for (int pin = 0; pin < 24; pin++, i++) {
                long e = mpc + entries.get(i).offset();
                assertEquals(MpTable.MP_INTSRC, mem.getByte(e));
                assertEquals(MpTable.MP_INT, mem.getByte(e + MpTable.INTSRC_IRQTYPE));
                assertEquals(0, mem.getShort(e + MpTable.INTSRC_IRQFLAG), "bus-default polarity/trigger");
                assertEquals(0, mem.getByte(e + MpTable.INTSRC_SRCBUS));
                assertEquals(pin, mem.getByte(e + MpTable.INTSRC_SRCBUSIRQ));
                assertEquals(vcpus, mem.getByte(e + MpTable.INTSRC_DSTAPIC));
                assertEquals(pin, mem.getByte(e + MpTable.INTSRC_DSTIRQ));
            }
            long lint0 = mpc + entries.get(i++).offset();
            assertEquals(MpTable.MP_LINTSRC, mem.getByte(lint0));
            assertEquals(MpTable.MP_EXTINT, mem.getByte(lint0 + MpTable.INTSRC_IRQTYPE));
            assertEquals(0, mem.getByte(lint0 + MpTable.INTSRC_DSTIRQ), "ExtINT on LINT0");
            long lint1 = mpc + entries.get(i).offset();
            assertEquals(MpTable.MP_LINTSRC, mem.getByte(lint1));
            assertEquals(MpTable.MP_NMI, mem.getByte(lint1 + MpTable.INTSRC_IRQTYPE));
            assertEquals(0xff, mem.getByte(lint1 + MpTable.INTSRC_DSTAPIC) & 0xff, "NMI to all local APICs");
            assertEquals(1, mem.getByte(lint1 + MpTable.INTSRC_DSTIRQ), "NMI on LINT1");
        }
    }

    @Test
    void rejectsVcpuCountsOutsideOneToThirtyTwo() {
        try (GuestMemory mem = GuestMemory.create(2 << 20)) {
            IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> MpTable.write(mem, BootLayout.MPTABLE_START, 0));
            assertTrue(zero.getMessage().contains("between 1 and 32"), zero.getMessage());
            assertThrows(IllegalArgumentException.class, () -> MpTable.write(mem, BootLayout.MPTABLE_START, 33));
        }
    }
}
