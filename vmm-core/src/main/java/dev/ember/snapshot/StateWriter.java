package dev.ember.snapshot;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Builds the bytes of one state section: little-endian fixed-width integers, length-prefixed
 * byte blocks and strings, in the order a matching {@link StateReader} takes them back.
 * Snapshotting is not a hot path, so this simply grows a byte array.
 */
public final class StateWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

    public StateWriter u8(int v) {
        out.write(v);
        return this;
    }

    public StateWriter bool(boolean v) {
        return u8(v ? 1 : 0);
    }

    public StateWriter u16(int v) {
        out.write(v);
        out.write(v >>> 8);
        return this;
    }

    public StateWriter i32(int v) {
        for (int i = 0; i < 4; i++) {
            out.write(v >>> (8 * i));
        }
        return this;
    }

    public StateWriter i64(long v) {
        for (int i = 0; i < 8; i++) {
            out.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    /** A u32 length, then the bytes. */
    public StateWriter bytes(byte[] b) {
        i32(b.length);
        out.write(b, 0, b.length);
        return this;
    }

    public StateWriter string(String s) {
        return bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    public StateWriter ints(int[] v) {
        i32(v.length);
        for (int x : v) {
            i32(x);
        }
        return this;
    }

    public StateWriter longs(long[] v) {
        i32(v.length);
        for (long x : v) {
            i64(x);
        }
        return this;
    }

    public StateWriter booleans(boolean[] v) {
        i32(v.length);
        for (boolean x : v) {
            bool(x);
        }
        return this;
    }

    public int size() {
        return out.size();
    }

    public byte[] toByteArray() {
        return out.toByteArray();
    }
}
