package dev.ember.snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Ember's snapshot state file: a fixed header and named sections, all little-endian.
 *
 * <pre>
 * offset  size  field
 *      0     8  magic "EMBERSNP"
 *      8     4  format version ({@link #VERSION})
 *     12     4  section count
 *     16     8  payload length (bytes after the header)
 *     24     4  CRC32C of the payload
 *     28     4  CRC32C of header bytes 0..27
 *     32        payload: per section u16 name length, UTF-8 name, u32 data length, data
 * </pre>
 *
 * Decoding checks everything before any byte of state is used, so a truncated, corrupt or
 * foreign file is rejected with a message naming the file and the problem.
 */
public final class StateFile {
    public static final byte[] MAGIC = "EMBERSNP".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    public static final int HEADER_SIZE = 32;
    /** State files hold registers and device state (kilobytes); anything huge is not one of ours. */
    public static final long MAX_SIZE = 64L << 20;

    private StateFile() {}

    public static byte[] encode(Map<String, byte[]> sections) {
        int payload = 0;
        for (Map.Entry<String, byte[]> e : sections.entrySet()) {
            payload += 2 + e.getKey().getBytes(StandardCharsets.UTF_8).length + 4 + e.getValue().length;
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE + payload).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(VERSION).putInt(sections.size()).putLong(payload).putInt(0).putInt(0);
        for (Map.Entry<String, byte[]> e : sections.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            if (name.length > 0xFFFF) {
                throw new IllegalArgumentException("section name too long: " + e.getKey());
            }
            b.putShort((short) name.length).put(name).putInt(e.getValue().length).put(e.getValue());
        }
        byte[] out = b.array();
        b.putInt(24, crc(out, HEADER_SIZE, payload));
        b.putInt(28, crc(out, 0, 28));
        return out;
    }

    /** Parses a whole state file; {@code name} (the path) goes into every error message. */
    public static Map<String, byte[]> decode(String name, byte[] file) {
        if (file.length < HEADER_SIZE) {
            throw new SnapshotFormatException("snapshot state file " + name + " is truncated: " + file.length
                    + " bytes, shorter than the " + HEADER_SIZE + "-byte header");
        }
        if (!Arrays.equals(file, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new SnapshotFormatException("snapshot state file " + name + " is not an Ember snapshot (bad magic;"
                    + " give the snapshot_path written by PUT /snapshot/create)");
        }
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(28) != crc(file, 0, 28)) {
            throw new SnapshotFormatException("snapshot state file " + name + " is corrupt: header checksum mismatch");
        }
        int version = b.getInt(8);
        if (version != VERSION) {
            throw new SnapshotFormatException("snapshot state file " + name + " has format version " + version
                    + "; this Ember reads version " + VERSION + " only (create the snapshot with the same Ember version)");
        }
        int count = b.getInt(12);
        long payload = b.getLong(16);
        long actual = file.length - HEADER_SIZE;
        if (actual < payload) {
            throw new SnapshotFormatException("snapshot state file " + name + " is truncated: the header announces "
                    + payload + " bytes of state, the file holds " + actual);
        }
        if (actual > payload) {
            throw new SnapshotFormatException("snapshot state file " + name + " is corrupt: " + (actual - payload)
                    + " unexpected bytes after the state");
        }
        if (b.getInt(24) != crc(file, HEADER_SIZE, (int) payload)) {
            throw new SnapshotFormatException("snapshot state file " + name + " is corrupt: checksum mismatch");
        }
        Map<String, byte[]> sections = new LinkedHashMap<>();
        b.position(HEADER_SIZE);
        for (int i = 0; i < count; i++) {
            if (b.remaining() < 2) {
                throw badLayout(name, "section " + i + " has no name");
            }
            int nameLen = b.getShort() & 0xFFFF;
            if (b.remaining() < nameLen + 4) {
                throw badLayout(name, "section " + i + " runs past the end");
            }
            byte[] nameBytes = new byte[nameLen];
            b.get(nameBytes);
            int dataLen = b.getInt();
            if (dataLen < 0 || b.remaining() < dataLen) {
                throw badLayout(name, "section " + i + " data runs past the end");
            }
            byte[] data = new byte[dataLen];
            b.get(data);
            String sectionName = new String(nameBytes, StandardCharsets.UTF_8);
            if (sections.put(sectionName, data) != null) {
                throw badLayout(name, "section '" + sectionName + "' appears twice");
            }
        }
        if (b.hasRemaining()) {
            throw badLayout(name, b.remaining() + " bytes after the last section");
        }
        return sections;
    }

    private static SnapshotFormatException badLayout(String name, String what) {
        return new SnapshotFormatException("snapshot state file " + name + " is corrupt: " + what);
    }

    /** Encodes and writes atomically (see {@link AtomicFile}). */
    public static void write(Path path, Map<String, byte[]> sections) {
        AtomicFile.write(path, encode(sections));
    }

    public static Map<String, byte[]> read(Path path) {
        byte[] bytes;
        try {
            long size = Files.size(path);
            if (size > MAX_SIZE) {
                throw new SnapshotFormatException("snapshot state file " + path + " is " + size
                        + " bytes, far larger than any Ember state file; is it the memory file?");
            }
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new SnapshotFormatException("snapshot state file " + path + " does not exist");
        } catch (IOException e) {
            throw new SnapshotFormatException("snapshot state file " + path + " cannot be read: " + e.getMessage(), e);
        }
        return decode(path.toString(), bytes);
    }

    private static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }
}
