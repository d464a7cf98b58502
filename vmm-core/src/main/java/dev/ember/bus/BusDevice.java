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
}
