package dev.ember.it;

import java.io.IOException;
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
}
