package dev.ember.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state file container: round trip, and a clear error for every way a file can be bad. */
class StateFileTest {
    @TempDir
    Path dir;

    private static Map<String, byte[]> sample() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("config", "{\"machine-config\":{}}".getBytes());
        s.put("vm", new StateWriter().i32(2).i64(64L << 20).bytes(new byte[] {1, 2, 3}).toByteArray());
        s.put("empty", new byte[0]);
        return s;
    }

    @Test
    void roundTripKeepsSectionsAndOrder() {
        Path f = dir.resolve("vm.snap");
        StateFile.write(f, sample());
        Map<String, byte[]> back = StateFile.read(f);
        assertEquals(List.of("config", "vm", "empty"), List.copyOf(back.keySet()));
        for (Map.Entry<String, byte[]> e : sample().entrySet()) {
            assertArrayEquals(e.getValue(), back.get(e.getKey()), e.getKey());
        }
        StateReader r = new StateReader("vm", back.get("vm"));
        assertEquals(2, r.i32("vcpus"));
        assertEquals(64L << 20, r.i64("mem"));
        assertArrayEquals(new byte[] {1, 2, 3}, r.bytes("blob"));
        r.end();
    }

    @Test
    void headerHoldsMagicVersionAndLength() {
        byte[] b = StateFile.encode(sample());
        assertArrayEquals("EMBERSNP".getBytes(), Arrays.copyOf(b, 8));
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(StateFile.VERSION, h.getInt(8));
        assertEquals(3, h.getInt(12));
        assertEquals(b.length - StateFile.HEADER_SIZE, h.getLong(16));
    }

    private String failure(byte[] bytes) throws Exception {
        Path f = dir.resolve("bad.snap");
        Files.write(f, bytes);
        SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> StateFile.read(f));
        assertTrue(e.getMessage().contains(f.toString()), "names the file: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void truncatedFileIsRejected() throws Exception {
        byte[] good = StateFile.encode(sample());
        assertTrue(failure(Arrays.copyOf(good, good.length - 5)).contains("truncated"));
        assertTrue(failure(Arrays.copyOf(good, 10)).contains("truncated"));
        assertTrue(failure(new byte[0]).contains("truncated"));
    }

    @Test
    void badMagicIsRejected() throws Exception {
        byte[] b = StateFile.encode(sample());
        b[0] = 'X';
        assertTrue(failure(b).contains("not an Ember snapshot"));
    }

    @Test
    void otherVersionIsRejectedByName() throws Exception {
        Map<String, byte[]> s = sample();
        byte[] b = StateFile.encode(s);
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(8, 7);
        h.putInt(28, crc(b, 0, 28)); // a well-formed header of a future version
        String m = failure(b);
        assertTrue(m.contains("format version 7") && m.contains("version " + StateFile.VERSION), m);
    }

    @Test
    void flippedPayloadByteFailsTheChecksum() throws Exception {
        byte[] b = StateFile.encode(sample());
        b[b.length - 1] ^= 0x40;
        assertTrue(failure(b).contains("checksum mismatch"));
    }

    @Test
    void flippedHeaderByteFailsTheHeaderChecksum() throws Exception {
        byte[] b = StateFile.encode(sample());
        b[13] ^= 1; // section count
        assertTrue(failure(b).contains("header checksum"));
    }

    @Test
    void trailingGarbageIsRejected() throws Exception {
        byte[] good = StateFile.encode(sample());
        byte[] b = Arrays.copyOf(good, good.length + 3);
        assertTrue(failure(b).contains("unexpected bytes"));
    }

    @Test
    void missingFileIsNamed() {
        Path f = dir.resolve("nope.snap");
        SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> StateFile.read(f));
        assertTrue(e.getMessage().contains(f + " does not exist"), e.getMessage());
    }

    @Test
    void readerRejectsShortSectionsAndWrongSizes() {
        byte[] data = new StateWriter().i32(5).bytes(new byte[4]).toByteArray();
        StateReader r = new StateReader("dev", data);
        assertEquals(5, r.i32("count"));
        SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> r.bytes("regs", 8));
        assertTrue(e.getMessage().contains("'dev'") && e.getMessage().contains("regs"), e.getMessage());

        StateReader shortOne = new StateReader("vcpu0", new byte[3]);
        e = assertThrows(SnapshotFormatException.class, () -> shortOne.i64("rip"));
        assertTrue(e.getMessage().contains("ends inside rip"), e.getMessage());

        StateReader leftover = new StateReader("x", new byte[2]);
        leftover.u8("a");
        assertThrows(SnapshotFormatException.class, leftover::end);

        StateSections sections = new StateSections("f.snap", new LinkedHashMap<>());
        e = assertThrows(SnapshotFormatException.class, () -> sections.reader("serial"));
        assertTrue(e.getMessage().contains("f.snap") && e.getMessage().contains("'serial'"), e.getMessage());
    }

    private static int crc(byte[] b, int off, int len) {
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }
}
