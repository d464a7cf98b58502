package dev.ember.kvm;

/**
 * The Linux ioctl request encoding ({@code asm-generic/ioctl.h}): direction in bits 31..30,
 * argument size in 29..16, type in 15..8, number in 7..0. Every KVM request number is built
 * here from the struct sizes the layout classes declare, so a size mistake shows up in one place.
 */
public final class Ioctl {
    static final int NONE = 0, WRITE = 1, READ = 2;
    /** The KVM ioctl type byte ({@code KVMIO}). */
    static final int KVMIO = 0xAE;

    private Ioctl() {}

    public static long ioc(int dir, int type, int nr, int size) {
        if (size < 0 || size >= (1 << 14)) {
            throw new IllegalArgumentException("ioctl argument size must fit in 14 bits: " + size);
        }
        return ((long) dir << 30) | ((long) size << 16) | ((long) type << 8) | nr;
    }

    /** {@code _IO(KVMIO, nr)} */
    public static long io(int nr) {
        return ioc(NONE, KVMIO, nr, 0);
    }

    /** {@code _IOR(KVMIO, nr, size)}: the kernel writes the argument. */
    public static long ior(int nr, int size) {
        return ioc(READ, KVMIO, nr, size);
    }

    /** {@code _IOW(KVMIO, nr, size)}: the kernel reads the argument. */
    public static long iow(int nr, int size) {
        return ioc(WRITE, KVMIO, nr, size);
    }

    /** {@code _IOWR(KVMIO, nr, size)} */
    public static long iowr(int nr, int size) {
        return ioc(READ | WRITE, KVMIO, nr, size);
    }
}
