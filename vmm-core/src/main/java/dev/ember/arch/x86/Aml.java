package dev.ember.arch.x86;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The few AML encodings Ember's DSDT needs (ACPI 6.x, chapter 20 "ACPI Machine Language
 * Specification"): a Name() of a root-level object whose value is a Package of integers. Each
 * method returns the encoded bytes of one term.
 */
final class Aml {
    static final int ZERO_OP = 0x00, ONE_OP = 0x01, ONES_OP = 0xff;
    static final int NAME_OP = 0x08, BYTE_PREFIX = 0x0a, WORD_PREFIX = 0x0b, DWORD_PREFIX = 0x0c, QWORD_PREFIX = 0x0e;
    static final int PACKAGE_OP = 0x12, ROOT_CHAR = '\\';
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
