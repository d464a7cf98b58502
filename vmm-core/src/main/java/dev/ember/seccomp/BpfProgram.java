package dev.ember.seccomp;

import com.kenai.jffi.MemoryIO;
import dev.ember.sys.RawLibc;

/** A compiled classic BPF program: parallel arrays of {@code struct sock_filter} fields. */
public final class BpfProgram {
    /** BPF_MAXINSNS: the kernel refuses longer programs. */
    public static final int MAX_INSTRUCTIONS = 4096;

    private final short[] code;
    private final byte[] jt;
    private final byte[] jf;
    private final int[] k;

    BpfProgram(short[] code, byte[] jt, byte[] jf, int[] k) {
        this.code = code;
        this.jt = jt;
        this.jf = jf;
        this.k = k;
    }

    public int length() {
        return code.length;
    }

    public int code(int i) {
        return code[i] & 0xffff;
    }

    public int jt(int i) {
        return jt[i] & 0xff;
    }

    public int jf(int i) {
        return jf[i] & 0xff;
    }

    public int k(int i) {
        return k[i];
    }

    /** Writes the instructions as an array of struct sock_filter at {@code address} ({@link #length} * 8 bytes). */
    public void writeTo(long address) {
        MemoryIO memory = RawLibc.memory();
        for (int i = 0; i < code.length; i++) {
            long at = address + (long) i * SockFilter.SIZE;
            memory.putShort(at + SockFilter.CODE, code[i]);
            memory.putByte(at + SockFilter.JT, jt[i]);
            memory.putByte(at + SockFilter.JF, jf[i]);
            memory.putInt(at + SockFilter.K, k[i]);
        }
    }

    /** One instruction a line, as {@code code jt jf k} in hex: for docs and debugging. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < code.length; i++) {
            sb.append(String.format("%4d: %04x %3d %3d %08x%n", i, code(i), jt(i), jf(i), k[i]));
        }
        return sb.toString();
    }
}
