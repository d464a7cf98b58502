package dev.ember.bench.jmh;

import dev.ember.bus.Bus;
import dev.ember.bus.BusDevice;
import dev.ember.devices.legacy.I8042Device;
import dev.ember.devices.legacy.Serial8250;
import dev.ember.irq.InterruptLine;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The exit-dispatch path after KVM_RUN returns: {@link Bus#read}/{@link Bus#write} on a PIO bus
 * laid out as Ember's (i8042, COM1, debug exit port) and an MMIO bus with eight virtio-mmio
 * windows, down to the real device models. What PVM costs per exit (50-100 us) dwarfs these,
 * but on hardware KVM an exit round trip is ~1-2 us, so dispatch must stay in the tens of ns.
 */
public class BusDispatchBench extends NanosecondBench {
    /** A no-op interrupt line: the benchmark measures dispatch, not eventfd writes. */
    static final InterruptLine NO_IRQ = new InterruptLine() {
        @Override
        public boolean trigger() {
            return true;
        }

        @Override
        public int gsi() {
            return 0;
        }
    };

    /** A register window like a virtio-mmio transport's: reads and writes an int array. */
    static final class Registers implements BusDevice {
        final int[] regs = new int[0x100 / 4];

        @Override
        public long read(long offset, int size) {
            return regs[(int) (offset >>> 2) & 0x3f] & 0xffffffffL;
        }

        @Override
        public void write(long offset, int size, long value) {
            regs[(int) (offset >>> 2) & 0x3f] = (int) value;
        }
    }

    Bus pio;
    Bus mmio;
    int devNull;
    long value;

    @Setup(Level.Trial)
    public void setup() {
        devNull = Native.LIBC.open("/dev/null", LibC.O_WRONLY, 0);
        pio = new Bus("pio");
        pio.register(I8042Device.BASE_PORT, I8042Device.PORT_COUNT, new I8042Device(NO_IRQ, (code, reason) -> {}));
        pio.register(Serial8250.COM1_PORT, Serial8250.PORT_COUNT, new Serial8250(NO_IRQ, devNull));
        pio.register(0xf4, 1, new Registers());
        mmio = new Bus("mmio");
        for (int i = 0; i < 8; i++) {
            mmio.register(0xd000_1000L + i * 0x1000L, 0x1000, new Registers());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Native.LIBC.close(devNull);
    }

    /** The guest's poll of the UART line status before each transmitted byte. */
    @Benchmark
    public long pioReadSerialLsr() {
        return pio.read(Serial8250.COM1_PORT + 5, 1);
    }

    /** The UART scratch register: dispatch plus a field store, no syscall. */
    @Benchmark
    public boolean pioWriteSerialScratch() {
        return pio.write(Serial8250.COM1_PORT + 7, 1, ++value & 0xff);
    }

    /** One console byte: dispatch plus write(2) through jnr-ffi (to /dev/null here). */
    @Benchmark
    public boolean pioWriteSerialTxByte() {
        return pio.write(Serial8250.COM1_PORT, 1, 'x');
    }

    /** An unclaimed port (the guest probing): binary search miss, open-bus value. */
    @Benchmark
    public long pioReadUnclaimed() {
        return pio.read(0x80, 1);
    }

    /** A 32-bit register read in the 6th of eight virtio-mmio windows. */
    @Benchmark
    public long mmioReadVirtioRegister() {
        return mmio.read(0xd000_6070L, 4);
    }

    @Benchmark
    public boolean mmioWriteVirtioRegister() {
        return mmio.write(0xd000_6050L, 4, ++value);
    }
}
