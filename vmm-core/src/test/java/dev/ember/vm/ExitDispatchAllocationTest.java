package dev.ember.vm;

import static dev.ember.vm.LongModeTestGuest.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.bus.BusDevice;
import dev.ember.testing.TestTags;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The vCPU exit path (KVM_RUN, PIO in/out, MMIO read/write dispatch) allocates nothing: a device
 * on the vCPU thread samples that thread's allocation counter every 1000 exits. Steady state
 * must show windows of 1000 exits with zero bytes; the rare one-off runtime allocation (JIT
 * deoptimisation and the like) must stay far below one object per exit.
 */
@Tag(TestTags.NEEDS_KVM)
class ExitDispatchAllocationTest {
    private static final int ITERATIONS = 3000;
    /** Writes per sample window; each loop iteration makes 4 exits, so a window is 1000 exits. */
    private static final int WINDOW = 250;

    @BeforeEach
    void needKvm() {
        KvmTestSupport.requireKvm();
    }

    /** Samples the calling (vCPU) thread's allocated bytes every {@link #WINDOW} writes. */
    /** Counts accesses and does nothing else. */
    static class NullMmio implements BusDevice {
        int reads, writes;

        @Override
        public long read(long offset, int size) {
            reads++;
            return 0;
        }

        @Override
        public void write(long offset, int size, long value) {
            writes++;
        }
    }

    /** Also samples the vCPU thread's allocated bytes every WINDOW writes. */
    static final class SamplingPort extends NullMmio {
        private final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        final long[] samples = new long[ITERATIONS / WINDOW + 1];

        @Override
        public void write(long offset, int size, long value) {
            super.write(offset, size, value);
            if (writes % WINDOW == 0) {
                samples[writes / WINDOW] = threads.getCurrentThreadAllocatedBytes();
            }
        }
    }

    @Test
    void thousandsOfPioAndMmioExitsAllocateNothingOnTheVcpuThread() throws Exception {
        byte[] code = hex(
                "b9 b8 0b 00 00 "       // mov ecx, 3000
                + "66 ba 80 00 "        // mov dx, 0x80
                + "bb 00 00 00 02 "     // mov ebx, 0x02000000 (MMIO)
                + "ee "                 // loop: out dx, al
                + "ec "                 //   in al, dx
                + "89 0b "              //   mov [rbx], ecx
                + "8b 03 "              //   mov eax, [rbx]
                + "ff c9 "              //   dec ecx
                + "75 f6 "              //   jnz loop
                + "66 ba f4 00 "        // mov dx, 0xf4
                + "ee "                 // out dx, al
                + "eb fe");
        try (Vm vm = Vm.create(new VmSpec(1, 4L << 20, false))) {
            SamplingPort port = new SamplingPort();
            NullMmio mmio = new NullMmio();
            vm.pioBus().register(0x80, 1, port);
            vm.mmioBus().register(0x0200_0000L, 0x1000, mmio);
            vm.pioBus().register(0xf4, 1, VmGuestTest.exitPort(vm));
            vm.configureBoot(LongModeTestGuest.write(vm.memory(), code));
            vm.start();
            assertTrue(vm.awaitExit(Duration.ofSeconds(300)), "guest loop did not finish");
            assertEquals(ExitCode.OK.code(), vm.exitCode());
            assertEquals(ITERATIONS, port.writes);
            assertEquals(ITERATIONS, port.reads);
            assertEquals(ITERATIONS, mmio.writes);
            assertEquals(ITERATIONS, mmio.reads);

            long min = Long.MAX_VALUE;
            long total = 0;
            StringBuilder windows = new StringBuilder();
            for (int w = 2; w < port.samples.length; w++) { // window 1 includes warm-up
                long bytes = port.samples[w] - port.samples[w - 1];
                min = Math.min(min, bytes);
                total += bytes;
                windows.append(bytes).append(' ');
            }
            System.out.println("vCPU thread bytes allocated per 1000 exits: " + windows);
            assertEquals(0, min, "no window of 1000 exits was allocation-free: " + windows);
            assertTrue(total < 64 * 1024, "exit dispatch allocated " + total + " bytes over "
                    + 4 * WINDOW * (port.samples.length - 2) + " exits: " + windows);
        }
    }
}
