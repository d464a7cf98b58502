package dev.ember.seccomp;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Compiled filters, one per thread category, as the build writes them (Firecracker's seccompiler
 * does the same: JSON in, serialized BPF out, embedded in the binary). Reading this file needs no
 * JSON parser and no compiler at start-up.
 *
 * <p>Layout, big-endian: the 8 bytes {@code EMBERBPF}, a version {@code u16} (1), a count
 * {@code u16}, then per filter its category name ({@code u16} length + UTF-8 bytes), its
 * instruction count {@code u16} and the instructions as {@code code u16, jt u8, jf u8, k u32}.
 */
public final class BpfFilterFile {
    private static final byte[] MAGIC = {'E', 'M', 'B', 'E', 'R', 'B', 'P', 'F'};
    private static final int VERSION = 1;
    /** More categories than Firecracker's three would be a corrupt file. */
    private static final int MAX_FILTERS = 16;

    private BpfFilterFile() {}

    /** True when {@code bytes} start as a compiled filter file does (anything else is taken for JSON). */
    public static boolean isCompiled(byte[] bytes) {
        return bytes.length >= MAGIC.length && Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    /** Serializes {@code programs} (category → program) in their iteration order. */
    public static byte[] write(Map<String, BpfProgram> programs) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.writeShort(VERSION);
            out.writeShort(programs.size());
            for (Map.Entry<String, BpfProgram> e : programs.entrySet()) {
                out.writeUTF(e.getKey());
                BpfProgram p = e.getValue();
                out.writeShort(p.length());
                for (int i = 0; i < p.length(); i++) {
                    out.writeShort(p.code(i));
                    out.writeByte(p.jt(i));
                    out.writeByte(p.jf(i));
                    out.writeInt(p.k(i));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    /**
     * Reads what {@link #write} wrote; {@code source} names the file in errors. The programs are
     * taken as they are: the build compiled them, and the kernel checks each one at install.
     */
    public static Map<String, BpfProgram> read(String source, InputStream in) {
        Map<String, BpfProgram> programs = new LinkedHashMap<>();
        try {
            DataInputStream data = new DataInputStream(in);
            byte[] magic = new byte[MAGIC.length];
            data.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new SeccompFilterException(source + ": not a compiled Ember seccomp filter file (bad magic)");
            }
            int version = data.readUnsignedShort();
            if (version != VERSION) {
                throw new SeccompFilterException(source + ": compiled filter format version " + version + ", this Ember reads " + VERSION);
            }
            int count = data.readUnsignedShort();
            if (count == 0 || count > MAX_FILTERS) {
                throw new SeccompFilterException(source + ": " + count + " filters (expected 1.." + MAX_FILTERS + ")");
            }
            for (int f = 0; f < count; f++) {
                String name = data.readUTF();
                int n = data.readUnsignedShort();
                if (n == 0 || n > BpfProgram.MAX_INSTRUCTIONS) {
                    throw new SeccompFilterException(source + ": filter \"" + name + "\" has " + n + " instructions (1.."
                            + BpfProgram.MAX_INSTRUCTIONS + ")");
                }
                short[] code = new short[n];
                byte[] jt = new byte[n];
                byte[] jf = new byte[n];
                int[] k = new int[n];
                for (int i = 0; i < n; i++) {
                    code[i] = data.readShort();
                    jt[i] = data.readByte();
                    jf[i] = data.readByte();
                    k[i] = data.readInt();
                }
                if (programs.put(name, new BpfProgram(code, jt, jf, k)) != null) {
                    throw new SeccompFilterException(source + ": filter \"" + name + "\" appears twice");
                }
            }
            if (data.read() != -1) {
                throw new SeccompFilterException(source + ": bytes after the last filter");
            }
        } catch (EOFException e) {
            throw new SeccompFilterException(source + ": truncated compiled filter file", e);
        } catch (IOException e) {
            throw new SeccompFilterException(source + ": cannot read it: " + e.getMessage(), e);
        }
        return Collections.unmodifiableMap(programs);
    }
}
