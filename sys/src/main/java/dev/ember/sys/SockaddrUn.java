package dev.ember.sys;

import java.nio.charset.StandardCharsets;

/**
 * {@code struct sockaddr_un} (sys/un.h): {@code sa_family_t sun_family} at 0 and
 * {@code char sun_path[108]} at 2, 110 bytes. Checked against the C headers by a layout test.
 */
public final class SockaddrUn {
    public static final int SIZE = 110;
    public static final int OFFSET_FAMILY = 0;
    public static final int OFFSET_PATH = 2;
    /** Room for the path including its terminating NUL. */
    public static final int PATH_MAX = 108;

    private final NativeMemory mem = Native.allocate(SIZE);
    private final int length;

    /**
     * @throws IllegalArgumentException if {@code path} does not fit sun_path with its NUL, or holds a NUL
     */
    public SockaddrUn(String path) {
        byte[] b = path.getBytes(StandardCharsets.UTF_8);
        if (b.length >= PATH_MAX) {
            throw new IllegalArgumentException("Unix socket path is " + b.length + " bytes long; at most "
                    + (PATH_MAX - 1) + " fit in sockaddr_un: " + path);
        }
        for (byte c : b) {
            if (c == 0) {
                throw new IllegalArgumentException("Unix socket path holds a NUL byte");
            }
        }
        mem.putShort(OFFSET_FAMILY, (short) LibC.AF_UNIX);
        mem.put(OFFSET_PATH, b, 0, b.length); // zero-filled: NUL terminated
        this.length = OFFSET_PATH + b.length + 1;
    }

    public long address() {
        return mem.address();
    }

    /** The address length to pass to bind/connect. */
    public int length() {
        return length;
    }
}
