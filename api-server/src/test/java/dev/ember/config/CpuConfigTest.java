package dev.ember.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The template bitmap, number and capability parsers, on Firecracker's own examples and edge cases. */
class CpuConfigTest {
    private static CpuConfig.Bits bits(String s, int width) throws ConfigException {
        return CpuConfig.bitmap(s, width, "f");
    }

    @Test
    void aBitmapSaysWhichBitsToSetAndToWhat() throws Exception {
        // Firecracker's own example: "0b0101xxxx" on 8 bits is filter 0xF0, value 0x50.
        assertEquals(new CpuConfig.Bits(0xF0, 0x50), bits("0b0101xxxx", 8));
        assertEquals(new CpuConfig.Bits(0xF0, 0x50), bits("0b0_101_xx_xx", 8), "underscores separate groups");
        assertEquals(new CpuConfig.Bits(0xF0, 0x50), bits("0101xxxx", 8), "the 0b prefix is optional");
        assertEquals(new CpuConfig.Bits(0x1, 0x1), bits("0b1", 32), "a short bitmap leaves the high bits alone");
        assertEquals(new CpuConfig.Bits(0, 0), bits("0b" + "x".repeat(32), 32));
        assertEquals(new CpuConfig.Bits(0xFFFF_FFFFL, 0x8000_0001L), bits("0b1" + "0".repeat(30) + "1", 32));
        assertEquals(new CpuConfig.Bits(-1L, 1L << 63), bits("0b1" + "0".repeat(63), 64), "MSR bitmaps are 64 bits");
    }

    @Test
    void tooLongOrForeignCharactersAreRefusedNamingTheField() {
        ConfigException e = assertThrows(ConfigException.class, () -> CpuConfig.bitmap("0b0000_0000_0", 8, "cpu-config.x.bitmap"));
        assertEquals("cpu-config.x.bitmap is \"0b0000_0000_0\"; use \"0b\" followed by at most 8 characters 0, 1 or x (x leaves the bit as it is),"
                + " the last one for bit 0 (this one has more)", e.getMessage());
        e = assertThrows(ConfigException.class, () -> bits("0b0_x\u03fd1_xx_xx", 8));
        assertTrue(e.getMessage().endsWith("(found '\u03fd')"), e.getMessage());
        assertThrows(ConfigException.class, () -> bits("", 32));
        assertThrows(ConfigException.class, () -> bits(null, 32));
    }

    @Test
    void numbersNeedTheirBasePrefixAsInFirecracker() throws Exception {
        assertEquals(69, CpuConfig.parseNumber("0b1000101", 32, "f"));
        assertEquals(69, CpuConfig.parseNumber("0x0045", 32, "f"));
        assertEquals(0x8000_0001L, CpuConfig.parseNumber("0x80000001", 32, "f"));
        for (String bad : new String[] {"69", "0x", "0xg", "x69", "0x100000000", "-0x1"}) {
            ConfigException e = assertThrows(ConfigException.class, () -> CpuConfig.parseNumber(bad, 32, "cpu-config.msr_modifiers[0].addr"), bad);
            assertEquals("cpu-config.msr_modifiers[0].addr is \"" + bad + "\"; use a 32-bit number with its base prefix: hex as \"0x10a\""
                    + " or binary as \"0b1\"", e.getMessage());
        }
    }

    @Test
    void capabilitiesAreU32NumbersOptionallyNegated() throws Exception {
        assertEquals(new CpuConfig.Capability(69, false), CpuConfig.capability("69", "f"));
        assertEquals(new CpuConfig.Capability(69, true), CpuConfig.capability("!69", "f"));
        assertEquals(new CpuConfig.Capability(0xFFFF_FFFFL, false), CpuConfig.capability("4294967295", "f"));
        for (String bad : new String[] {"", "!", "x", "!!1", "-1", "4294967296", "0x45", " 1"}) {
            assertThrows(ConfigException.class, () -> CpuConfig.capability(bad, "f"), bad);
        }
    }
}
