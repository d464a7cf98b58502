package dev.ember.devices.net;

import dev.ember.sys.Native;
import java.nio.charset.StandardCharsets;
import dev.ember.sys.NativeMemory;

/**
 * {@code struct ifreq} (linux/if.h) as TUNSETIFF uses it: {@code char ifr_name[IFNAMSIZ]} at 0
 * and the {@code short ifr_flags} member of the union at 16; 40 bytes on x86_64. Checked
 * against the C headers by a layout test.
 */
final class IfReq {
    static final int SIZE = 40;
    static final int IFNAMSIZ = 16;
    static final int OFFSET_NAME = 0;
    static final int OFFSET_FLAGS = 16;

    final NativeMemory mem = Native.allocate(SIZE);

    IfReq(String name, int flags) {
        byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        mem.put(OFFSET_NAME, b, 0, b.length); // zero-filled: NUL terminated as long as name < IFNAMSIZ
        mem.putShort(OFFSET_FLAGS, (short) flags);
    }

    String name() {
        byte[] b = new byte[IFNAMSIZ];
        mem.get(OFFSET_NAME, b, 0, IFNAMSIZ);
        int n = 0;
        while (n < IFNAMSIZ && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.US_ASCII);
    }

    long address() {
        return mem.address();
    }
}
