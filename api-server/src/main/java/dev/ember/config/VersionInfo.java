package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;

/** GET {@code /version}: the VMM's version under Firecracker's field name. */
public record VersionInfo(@JsonProperty("firecracker_version") String firecrackerVersion)
        implements StrictWriter.Writable {
    @Override
    public void write(JsonGenerator out) throws IOException {
        out.writeStartObject();
        StrictWriter.string(out, "firecracker_version", firecrackerVersion);
        out.writeEndObject();
    }
}
