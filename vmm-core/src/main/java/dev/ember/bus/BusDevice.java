package dev.ember.bus;

/**
 * A device register window on the MMIO or port-I/O bus. Called on a vCPU thread for every
 * guest access; implementations must not block and must not allocate.
 *
 * <p>{@code offset} is relative to the start of the range the device was registered at;
 * {@code size} is 1, 2, 4 or 8 bytes; values are little-endian, zero-extended.
 */
public interface BusDevice {
    long read(long offset, int size);

    void write(long offset, int size, long value);

    /** A register window's reads, as a method reference. */
    @FunctionalInterface
    interface Reads {
        long read(long offset, int size);
    }

    /** A register window's writes, as a method reference. */
    @FunctionalInterface
    interface Writes {
        void write(long offset, int size, long value);
    }

    /**
     * A device of two methods of one object (say {@code of(this::readTable, this::writeTable)}),
     * for a class that serves several windows; built once, so dispatch still allocates nothing.
     */
    static BusDevice of(Reads reads, Writes writes) {
        return new BusDevice() {
            @Override
            public long read(long offset, int size) {
                return reads.read(offset, size);
            }

            @Override
            public void write(long offset, int size, long value) {
                writes.write(offset, size, value);
            }
        };
    }
}
