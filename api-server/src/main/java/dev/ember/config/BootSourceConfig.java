package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import java.util.List;
import java.io.IOException;

/**
 * {@code boot-source}: the guest kernel, its command line and an optional initrd. The optional
 * members are written as null when absent, as Firecracker's GET /vm/config shows them.
 */
public record BootSourceConfig(
        @JsonProperty(value = "kernel_image_path", required = true) String kernelImagePath,
        @JsonProperty("boot_args") @JsonInclude(JsonInclude.Include.ALWAYS) String bootArgs,
        @JsonProperty("initrd_path") @JsonInclude(JsonInclude.Include.ALWAYS) String initrdPath) {

    /** x86 boot protocol limit, terminating NUL included (Firecracker's CMDLINE_MAX_SIZE). */
    public static final int CMDLINE_MAX_SIZE = 2048;

    void validate() throws ConfigException {
        Check.readableFile(kernelImagePath, "boot-source.kernel_image_path", "The kernel file cannot be opened");
        if (initrdPath != null) {
            Check.readableFile(initrdPath, "boot-source.initrd_path");
        }
        if (bootArgs != null) {
            if (bootArgs.length() >= CMDLINE_MAX_SIZE) {
                throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "boot-source.boot_args is " + bootArgs.length()
                        + " characters; the kernel command line must be shorter than " + CMDLINE_MAX_SIZE);
            }
            for (int i = 0; i < bootArgs.length(); i++) {
                char c = bootArgs.charAt(i);
                if (c < 0x20 || c > 0x7e) {
                    throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "boot-source.boot_args has a non-printable or non-ASCII character at index "
                            + i + "; the kernel command line takes printable ASCII only");
                }
            }
        }
    }

    /** As {@link StrictJson#write} writes it. */
    public void write(JsonGenerator out) throws IOException {
        out.writeStartObject();
        StrictWriter.string(out, "kernel_image_path", kernelImagePath);
        StrictWriter.stringOrNull(out, "boot_args", bootArgs);
        StrictWriter.stringOrNull(out, "initrd_path", initrdPath);
        out.writeEndObject();
    }

    /** serde's non-Option fields of Firecracker's struct, in its order: refused while binding when absent. */

    static final List<String> REQUIRED = List.of("kernel_image_path");

    static final List<String> FIELDS = List.of("kernel_image_path", "boot_args", "initrd_path");

    /** The body of PUT /boot-source, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static BootSourceConfig read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, BootSourceConfig::read);
    }

    private static BootSourceConfig read(StrictReader in, String path) throws IOException, ConfigException {
        in.object(path);
        String kernelImagePath = null, bootArgs = null, initrdPath = null;
        for (String f; (f = in.field(path, FIELDS, REQUIRED)) != null; ) {
            String at = path + "." + f;
            switch (f) {
                case "kernel_image_path" -> kernelImagePath = in.string(at);
                case "boot_args" -> bootArgs = in.string(at);
                default -> initrdPath = in.string(at); // initrd_path, the last of FIELDS
            }
        }
        return new BootSourceConfig(kernelImagePath, bootArgs, initrdPath);
    }
}
