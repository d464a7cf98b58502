package dev.ember.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class IoctlTest {
    @Test
    void encodesDirectionSizeTypeAndNumberLikeTheKernelMacros() {
        // Values from <linux/kvm.h> as printed by gcc: _IO(0xAE,0x80), _IOR(0xAE,0x81,144), _IOWR(0xAE,0x05,8).
        assertEquals(0xAE80L, Ioctl.io(0x80));
        assertEquals(0x8090AE81L, Ioctl.ior(0x81, 144));
        assertEquals(0x4138AE84L, Ioctl.iow(0x84, 312));
        assertEquals(0xC008AE05L, Ioctl.iowr(0x05, 8));
    }

    @Test
    void rejectsArgumentSizesTheEncodingCannotHold() {
        assertThrows(IllegalArgumentException.class, () -> Ioctl.iow(0x01, 1 << 14));
    }

    @Test
    void decodesGdtDescriptorsAsTheCpuLoadsThem() {
        KvmSegment code = KvmSegment.fromGdtEntry(0x08, 0x00af9b000000ffffL);
        assertEquals(new KvmSegment(0, 0xFFFFFFFF, 0x08, 0xB, true, 0, false, true, true, true, false, false), code);
        KvmSegment data = KvmSegment.fromGdtEntry(0x10, 0x00cf93000000ffffL);
        assertEquals(new KvmSegment(0, 0xFFFFFFFF, 0x10, 0x3, true, 0, true, true, false, true, false, false), data);
        KvmSegment tss = KvmSegment.fromGdtEntry(0x18, 0x008f8b000000ffffL);
        assertEquals(new KvmSegment(0, 0xFFFFFFFF, 0x18, 0xB, true, 0, false, false, false, true, false, false), tss);
        KvmSegment based = KvmSegment.fromGdtEntry(0x20, 0x12cf93345678ffffL);
        assertEquals(0x12345678L, based.base());
    }
}
