package dev.ember.vm;

import static dev.ember.vm.LongModeTestGuest.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.bus.BusDevice;
import dev.ember.bus.WritePort;
import dev.ember.testing.TestTags;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Runs tiny hand-assembled 64-bit guests on the machine's /dev/kvm through the Vm facade. */
@Tag(TestTags.NEEDS_KVM)
class VmGuestTest {
    private static final Duration EXIT_WAIT = Duration.ofSeconds(60);
    private static final long MMIO_BASE = 0x0200_0000L; // 32 MiB: above the test guests' RAM

    @BeforeEach
    void needKvm() {
        KvmTestSupport.requireKvm();
    }

    /** Records every access; reads answer from a counter. */
    static final class RecordingDevice implements BusDevice {
        final List<long[]> writes = new ArrayList<>();
        final List<long[]> reads = new ArrayList<>();
        long nextRead;

        RecordingDevice(long firstReadValue) {
            this.nextRead = firstReadValue;
        }

        @Override
        public synchronized long read(long offset, int size) {
            reads.add(new long[] {offset, size});
            return nextRead++;
        }

        @Override
        public synchronized void write(long offset, int size, long value) {
            writes.add(new long[] {offset, size, value});
        }
    }

    /** Port 0xf4: the guest's "test finished" port; the value written is kept ({@link WritePort#last}). */
    static WritePort exitPort(Vm vm) {
        return new WritePort(v -> vm.requestExit(ExitCode.OK, "test guest wrote 0x" + Long.toHexString(v) + " to port 0xf4"));
    }

    @Test
    void portAndMmioExitsReachTheBusDevicesInBothDirections() throws Exception {
        byte[] code = hex(
                "66 ba f8 03 "          // mov dx, 0x3f8
                + "b0 41 "              // mov al, 'A'
                + "ee "                 // out dx, al
                + "b8 00 00 00 02 "     // mov eax, 0x02000000 (MMIO)
                + "c7 00 78 56 34 12 "  // mov dword [rax], 0x12345678
                + "8b 58 08 "           // mov ebx, [rax+8]
                + "be 00 30 00 00 "     // mov esi, 0x3000
                + "b9 05 00 00 00 "     // mov ecx, 5
                + "f3 6e "              // rep outsb  (string output, count 5)
                + "bf 00 31 00 00 "     // mov edi, 0x3100
                + "b9 04 00 00 00 "     // mov ecx, 4
                + "f3 6c "              // rep insb   (string input, count 4)
                + "89 d8 "              // mov eax, ebx
                + "66 ba f4 00 "        // mov dx, 0xf4
                + "ef "                 // out dx, eax
                + "eb fe");             // jmp $
        try (Vm vm = Vm.create(new VmSpec(1, 4L << 20, false))) {
            RecordingDevice uart = new RecordingDevice(0xa0);
            RecordingDevice mmio = new RecordingDevice(0xcafebabeL);
            WritePort exit = exitPort(vm);
            vm.pioBus().register(0x3f8, 8, uart);
            vm.pioBus().register(0xf4, 1, exit);
            vm.mmioBus().register(MMIO_BASE, 0x1000, mmio);
            byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
            vm.memory().write(0x3000, hello, 0, hello.length);
            vm.configureBoot(LongModeTestGuest.write(vm.memory(), code));
            vm.start();

            assertTrue(vm.awaitExit(EXIT_WAIT), "guest did not reach its exit port");
            assertEquals(ExitCode.OK.code(), vm.exitCode());
            assertTrue(vm.firstKvmRunNanos() > 0);

            List<Long> written = new ArrayList<>();
            for (long[] w : uart.writes) {
                assertEquals(0, w[0]);
                assertEquals(1, w[1]);
                written.add(w[2]);
            }
            assertEquals(List.of(0x41L, (long) 'h', (long) 'e', (long) 'l', (long) 'l', (long) 'o'), written);
            assertEquals(4, uart.reads.size());
            byte[] in = new byte[4];
            vm.memory().read(0x3100, in, 0, 4);
            assertEquals(List.of((byte) 0xa0, (byte) 0xa1, (byte) 0xa2, (byte) 0xa3), List.of(in[0], in[1], in[2], in[3]));

            assertEquals(1, mmio.writes.size());
            assertEquals(List.of(0L, 4L, 0x12345678L), List.of(mmio.writes.get(0)[0], mmio.writes.get(0)[1], mmio.writes.get(0)[2]));
            assertEquals(1, mmio.reads.size());
            assertEquals(List.of(8L, 4L), List.of(mmio.reads.get(0)[0], mmio.reads.get(0)[1]));
            assertEquals(0xcafebabeL, exit.last());
        }
    }
}
