package dev.ember.snapshot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads back what a {@link StateWriter} wrote. Every read is bounds-checked: running past the
 * end, a negative or oversized length, or a value outside what the caller allows throws
 * {@link SnapshotFormatException} naming the section, never an unchecked buffer exception.
 */
public final class StateReader {
    private final String section;
    private final ByteBuffer buf;

    public StateReader(String section, byte[] data) {
        this.section = section;
        this.buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    }

    public String section() {
        return section;
    }

    private void need(int n, String what) {
        if (n < 0 || buf.remaining() < n) {
            throw new SnapshotFormatException("state section '" + section + "' ends inside " + what + " (needs " + n
                    + " bytes at offset " + buf.position() + ", " + buf.remaining() + " left)");
        }
    }

    public int u8(String what) {
        need(1, what);
        return buf.get() & 0xFF;
    }

    public boolean bool(String what) {
        int v = u8(what);
        if (v > 1) {
            throw invalid(what, "is " + v + ", expected 0 or 1");
        }
        return v == 1;
    }

    public int u16(String what) {
        need(2, what);
        return buf.getShort() & 0xFFFF;
    }

    public int i32(String what) {
        need(4, what);
        return buf.getInt();
    }

    public long i64(String what) {
        need(8, what);
        return buf.getLong();
    }

    /** An i32 that must lie in {@code [min, max]}. */
    public int i32(String what, int min, int max) {
        int v = i32(what);
        if (v < min || v > max) {
            throw invalid(what, "is " + v + ", outside " + min + ".." + max);
        }
        return v;
    }

    public byte[] bytes(String what) {
        int n = i32(what + " length");
        need(n, what);
        byte[] b = new byte[n];
        buf.get(b);
        return b;
    }

    /** A byte block that must be exactly {@code expected} bytes (a kernel struct). */
    public byte[] bytes(String what, int expected) {
        byte[] b = bytes(what);
        if (b.length != expected) {
            throw invalid(what, "is " + b.length + " bytes, expected " + expected);
        }
        return b;
    }

    public String string(String what) {
        return new String(bytes(what), StandardCharsets.UTF_8);
    }

    public int[] ints(String what, int expectedCount) {
        int n = count(what, expectedCount);
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
            v[i] = i32(what);
        }
        return v;
    }

    public long[] longs(String what, int expectedCount) {
        int n = count(what, expectedCount);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = i64(what);
        }
        return v;
    }

    public boolean[] booleans(String what, int expectedCount) {
        int n = count(what, expectedCount);
        boolean[] v = new boolean[n];
        for (int i = 0; i < n; i++) {
            v[i] = bool(what);
        }
        return v;
    }

    private int count(String what, int expected) {
        int n = i32(what + " count");
        if (n != expected) {
            throw invalid(what, "has " + n + " elements, expected " + expected);
        }
        return n;
    }

    /** Fails if bytes are left over: the section was written by a different layout. */
    public void end() {
        if (buf.hasRemaining()) {
            throw new SnapshotFormatException("state section '" + section + "' has " + buf.remaining()
                    + " unexpected trailing bytes (written by a different Ember?)");
        }
    }

    public SnapshotFormatException invalid(String what, String problem) {
        return new SnapshotFormatException("state section '" + section + "': " + what + " " + problem);
    }
}
