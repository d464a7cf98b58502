package dev.ember.vm.x86;

/**
 * Which bits of a register a template sets, and to what: bits set in {@code filter} take their
 * value from {@code value}, the others keep the register's. This is the "0b01x..." bitmap of
 * Firecracker's templates ({@code x} = not in the filter), decoded.
 */
public record RegisterBits(long filter, long value) {
    public RegisterBits {
        if ((value & ~filter) != 0) {
            throw new IllegalArgumentException(String.format("value 0x%x sets bits outside filter 0x%x", value, filter));
        }
    }

    public long apply(long register) {
        return (register & ~filter) | value;
    }

    public int apply(int register) {
        return (int) apply(register & 0xFFFF_FFFFL);
    }
}
