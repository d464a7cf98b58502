package dev.ember.bus;

import java.util.function.LongConsumer;

/**
 * A port device for tests: reads 0; a write keeps its value and runs {@code onWrite} with it, on
 * the vCPU thread that made it (a test guest's result port, a device that misbehaves on purpose).
 */
public final class WritePort implements BusDevice {
    private final LongConsumer onWrite;
    private volatile long last = -1;

    public WritePort(LongConsumer onWrite) {
        this.onWrite = onWrite;
    }

    /** The last value written, -1 before any. */
    public long last() {
        return last;
    }

    @Override
    public long read(long offset, int size) {
        return 0;
    }

    @Override
    public void write(long offset, int size, long value) {
        last = value;
        onWrite.accept(value);
    }
}
