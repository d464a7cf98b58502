package dev.ember.sys;

/**
 * Raw mode for the terminal that carries the guest's serial console, so keys (Ctrl-C
 * included) reach the guest unprocessed, as on Firecracker. The terminal's settings are saved
 * and put back by {@link #close()}.
 *
 * <p>{@code struct termios} is treated as opaque: glibc's own tcgetattr/cfmakeraw/tcsetattr do
 * the work, so only its size matters (checked against the headers by TermiosLayoutTest).
 */
public final class Termios implements AutoCloseable {
    /** sizeof(struct termios) on x86_64 glibc. */
    public static final int SIZE = 60;
    private static final int TCSANOW = 0;

    private final int fd;
    private final NativeMemory saved;

    private Termios(int fd, NativeMemory saved) {
        this.fd = fd;
        this.saved = saved;
    }

    /** Puts {@code fd} in raw mode if it is a terminal; returns null if it is not one. */
    public static Termios makeRaw(int fd) {
        if (Native.LIBC.isatty(fd) != 1) {
            return null;
        }
        NativeMemory saved = Native.allocate(SIZE);
        Native.check(Native.LIBC.tcgetattr(fd, saved.address()), "tcgetattr");
        NativeMemory raw = Native.allocate(SIZE);
        Native.check(Native.LIBC.tcgetattr(fd, raw.address()), "tcgetattr");
        Native.LIBC.cfmakeraw(raw.address());
        Native.check(Native.LIBC.tcsetattr(fd, TCSANOW, raw.address()), "tcsetattr");
        SharedTerminal.stdio().rawMode(fd, true);
        return new Termios(fd, saved);
    }

    /** Restores the settings the terminal had before {@link #makeRaw}. */
    @Override
    public void close() {
        Native.LIBC.tcsetattr(fd, TCSANOW, saved.address());
        SharedTerminal.stdio().rawMode(fd, false);
    }
}
