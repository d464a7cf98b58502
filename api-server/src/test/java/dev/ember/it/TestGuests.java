package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes Firecracker-style config files that boot a test-guest scenario. */
public final class TestGuests {
    private TestGuests() {}

    public static Path image() {
        Path p = EmberProcess.repo().resolve("guest-images/out/testguest.elf");
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException(p + " is missing: the guest-images module builds it (mvn package)");
        }
        return p;
    }

    /** A config file in {@code dir} booting {@code scenario} with the given shape. */
    public static Path config(Path dir, String scenario, int vcpus, int memMib, String extraArgs) throws IOException {
        String json = "{\n"
                + "  \"boot-source\": {\n"
                + "    \"kernel_image_path\": \"" + image() + "\",\n"
                + "    \"boot_args\": \"console=ttyS0 ember.test=" + scenario + (extraArgs.isEmpty() ? "" : " " + extraArgs) + "\"\n"
                + "  },\n"
                + "  \"machine-config\": { \"vcpu_count\": " + vcpus + ", \"mem_size_mib\": " + memMib + " }\n"
                + "}\n";
        Path f = dir.resolve(scenario + "-" + vcpus + ".json");
        Files.writeString(f, json);
        return f;
    }

    public static Path config(Path dir, String scenario) throws IOException {
        return config(dir, scenario, 1, 128, "");
    }

    /**
     * The virtio-blk scenario's result in its image file: 8 sectors of the pattern
     * {@code (i * 7 + 3)} at sector 1, sector 0 and the sector after it untouched (zero).
     */
    public static void assertVirtioBlkPattern(Path img) throws IOException {
        byte[] expected = new byte[4096];
        for (int j = 0; j < expected.length; j++) {
            expected[j] = (byte) (j * 7 + 3);
        }
        byte[] actual = new byte[4096];
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "r")) {
            f.seek(512);
            f.readFully(actual);
            assertEquals(0, f.readByte(), "the sector after the pattern is untouched");
            f.seek(0);
            assertEquals(0, f.readByte(), "sector 0 is untouched");
        }
        assertArrayEquals(expected, actual, "the guest's pattern is in the image file at sector 1");
    }
}
