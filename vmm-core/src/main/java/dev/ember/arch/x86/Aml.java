package dev.ember.arch.x86;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The few AML encodings Ember's DSDT needs (ACPI 6.x, chapter 20 "ACPI Machine Language
 * Specification"): a Name() whose value is an integer, a Package of integers or a resource
 * template Buffer, and the Scope() and Device() that hold the PCI host bridge. Each method returns
 * the encoded bytes of one term.
 */
final class Aml {
    static final int ZERO_OP = 0x00, ONE_OP = 0x01, ONES_OP = 0xff;
    static final int NAME_OP = 0x08, BYTE_PREFIX = 0x0a, WORD_PREFIX = 0x0b, DWORD_PREFIX = 0x0c, QWORD_PREFIX = 0x0e;
    static final int PACKAGE_OP = 0x12, ROOT_CHAR = '\\';
    static final int SCOPE_OP = 0x10, BUFFER_OP = 0x11, EXT_OP_PREFIX = 0x5b, DEVICE_OP = 0x82;
    /** Resource descriptors (ACPI 6.5 section 6.4): Word, DWord and QWord Address Space, End Tag. */
    static final int WORD_ADDRESS = 0x88, DWORD_ADDRESS = 0x87, QWORD_ADDRESS = 0x8a, MEMORY32_FIXED = 0x86, END_TAG = 0x79;
    static final int RESOURCE_MEMORY = 0, RESOURCE_BUS_NUMBER = 2;
    /** General flags: producer (bit 0 clear), positive decode, minimum and maximum fixed. */
    static final int ADDRESS_MIN_MAX_FIXED = 0x0c;
    /** Memory type-specific flags: read-write, non-cacheable. */
    static final int MEMORY_READ_WRITE = 0x01;
    /** A PkgLength's single-byte form holds 0..63; longer ones take 1-3 more bytes, 4 bits then 8 bits each. */
    private static final int ONE_BYTE_MAX = 0x3f, MAX_PKG_LENGTH = 0x0fff_ffff;

    private Aml() {}

    /** {@code Name(\NAME, value)}: a root-relative NameSeg of exactly four characters. */
    static byte[] name(String seg, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(NAME_OP);
        out.write(ROOT_CHAR);
        out.writeBytes(nameSeg(seg));
        out.writeBytes(value);
        return out.toByteArray();
    }

    /** {@code Name(NAME, value)} relative to the enclosing scope. */
    static byte[] localName(String seg, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(NAME_OP);
        out.writeBytes(nameSeg(seg));
        out.writeBytes(value);
        return out.toByteArray();
    }

    /** {@code Scope(\NAME) { terms }}. */
    static byte[] scope(String rootSeg, byte[]... terms) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(ROOT_CHAR);
        body.writeBytes(nameSeg(rootSeg));
        for (byte[] t : terms) {
            body.writeBytes(t);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(SCOPE_OP);
        out.writeBytes(pkgLength(body.size()));
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    /** {@code Device(NAME) { terms }} in the enclosing scope. */
    static byte[] device(String seg, byte[]... terms) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(nameSeg(seg));
        for (byte[] t : terms) {
            body.writeBytes(t);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(EXT_OP_PREFIX);
        out.write(DEVICE_OP);
        out.writeBytes(pkgLength(body.size()));
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    /** {@code EisaId("PNP0A08")}: three letters of 5 bits and four hex digits, as a DWord constant. */
    static byte[] eisaId(String id) {
        if (!id.matches("[A-Z]{3}[0-9A-F]{4}")) {
            throw new IllegalArgumentException("EISA ID must be three letters and four hex digits, got '" + id + "'");
        }
        int letters = ((id.charAt(0) - 0x40) << 10) | ((id.charAt(1) - 0x40) << 5) | (id.charAt(2) - 0x40);
        int product = Integer.parseInt(id.substring(3), 16);
        long value = ((letters >>> 8) & 0xff) | (letters & 0xff) << 8 | ((product >>> 8) & 0xffL) << 16 | (product & 0xffL) << 24;
        byte[] out = new byte[5];
        out[0] = DWORD_PREFIX;
        for (int i = 0; i < 4; i++) {
            out[1 + i] = (byte) (value >>> (8 * i));
        }
        return out;
    }

    /** {@code ResourceTemplate() { descriptors }}: a Buffer ending with the End Tag (checksum 0: none). */
    static byte[] resourceTemplate(byte[]... descriptors) {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (byte[] d : descriptors) {
            data.writeBytes(d);
        }
        data.write(END_TAG);
        data.write(0);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(integer(data.size()));
        body.writeBytes(data.toByteArray());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(BUFFER_OP);
        out.writeBytes(pkgLength(body.size()));
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    /** {@code WordBusNumber(ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, first, last, 0, count)}. */
    static byte[] wordBusNumber(int first, int last) {
        java.nio.ByteBuffer b = addressHeader(WORD_ADDRESS, 16, RESOURCE_BUS_NUMBER, 0);
        b.putShort((short) 0).putShort((short) first).putShort((short) last).putShort((short) 0).putShort((short) (last - first + 1));
        return b.array();
    }

    /** {@code DWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0, base, end, 0, size)}. */
    static byte[] dwordMemory(long base, long size) {
        java.nio.ByteBuffer b = addressHeader(DWORD_ADDRESS, 26, RESOURCE_MEMORY, MEMORY_READ_WRITE);
        b.putInt(0).putInt((int) base).putInt((int) (base + size - 1)).putInt(0).putInt((int) size);
        return b.array();
    }

    /** {@code Memory32Fixed(ReadWrite, base, size)}: a large resource item of type 6 (ACPI 6.4, 6.4.3.4). */
    static byte[] memory32Fixed(long base, long size) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put((byte) MEMORY32_FIXED).putShort((short) 9).put((byte) 1).putInt((int) base).putInt((int) size);
        return b.array();
    }

    /** {@code QWordMemory(...)} as {@link #dwordMemory}, with 64-bit fields. */
    static byte[] qwordMemory(long base, long size) {
        java.nio.ByteBuffer b = addressHeader(QWORD_ADDRESS, 46, RESOURCE_MEMORY, MEMORY_READ_WRITE);
        b.putLong(0).putLong(base).putLong(base + size - 1).putLong(0).putLong(size);
        return b.array();
    }

    private static java.nio.ByteBuffer addressHeader(int tag, int total, int resourceType, int typeFlags) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(total).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put((byte) tag).putShort((short) (total - 3)).put((byte) resourceType).put((byte) ADDRESS_MIN_MAX_FIXED).put((byte) typeFlags);
        return b;
    }

    /** {@code Package(n) { integers... }}. */
    static byte[] packageOf(long... elements) {
        if (elements.length > 0xff) {
            throw new IllegalArgumentException("a Package holds at most 255 elements, got " + elements.length);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(elements.length);
        for (long e : elements) {
            body.writeBytes(integer(e));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(PACKAGE_OP);
        out.writeBytes(pkgLength(body.size()));
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    /** The shortest encoding of an integer constant (ZeroOp, OneOp, or a Byte/Word/DWord/QWord prefix). */
    static byte[] integer(long v) {
        if (v == 0) {
            return new byte[] {ZERO_OP};
        }
        if (v == 1) {
            return new byte[] {ONE_OP};
        }
        int bytes = (v & ~0xffL) == 0 ? 1 : (v & ~0xffffL) == 0 ? 2 : (v & ~0xffff_ffffL) == 0 ? 4 : 8;
        int prefix = bytes == 1 ? BYTE_PREFIX : bytes == 2 ? WORD_PREFIX : bytes == 4 ? DWORD_PREFIX : QWORD_PREFIX;
        byte[] out = new byte[1 + bytes];
        out[0] = (byte) prefix;
        for (int i = 0; i < bytes; i++) {
            out[1 + i] = (byte) (v >>> (8 * i));
        }
        return out;
    }

    /**
     * The PkgLength of a body of {@code bodyLength} bytes. The encoded length counts the PkgLength
     * bytes themselves, so the form is chosen for the total.
     */
    static byte[] pkgLength(int bodyLength) {
        for (int extra = 0; extra <= 3; extra++) {
            int total = bodyLength + 1 + extra;
            if (extra == 0 && total <= ONE_BYTE_MAX) {
                return new byte[] {(byte) total};
            }
            if (extra > 0 && total < (1 << (4 + 8 * extra))) {
                byte[] out = new byte[1 + extra];
                out[0] = (byte) ((extra << 6) | (total & 0x0f));
                for (int i = 1; i <= extra; i++) {
                    out[i] = (byte) (total >>> (4 + 8 * (i - 1)));
                }
                return out;
            }
        }
        throw new IllegalArgumentException("AML package of " + bodyLength + " bytes exceeds PkgLength's " + MAX_PKG_LENGTH);
    }

    /** A NameSeg: four characters, a leading A-Z or '_', then A-Z, 0-9 or '_'. */
    static byte[] nameSeg(String seg) {
        if (!seg.matches("[A-Z_][A-Z0-9_]{3}")) {
            throw new IllegalArgumentException("AML NameSeg must be 4 characters [A-Z_][A-Z0-9_]{3}, got '" + seg + "'");
        }
        return seg.getBytes(StandardCharsets.US_ASCII);
    }
}
