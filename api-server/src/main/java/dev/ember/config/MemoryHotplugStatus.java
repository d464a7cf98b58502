package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;

/** GET {@code /hotplug/memory}: the device's sizes and how far the guest has got (Firecracker's fields, MiB). */
public record MemoryHotplugStatus(
        @JsonProperty("total_size_mib") long totalSizeMib,
        @JsonProperty("block_size_mib") long blockSizeMib,
        @JsonProperty("slot_size_mib") long slotSizeMib,
        @JsonProperty("plugged_size_mib") long pluggedSizeMib,
        @JsonProperty("requested_size_mib") long requestedSizeMib) implements StrictWriter.Writable {
    @Override
    public void write(JsonGenerator out) throws IOException {
        out.writeStartObject();
        out.writeNumberField("total_size_mib", totalSizeMib);
        out.writeNumberField("block_size_mib", blockSizeMib);
        out.writeNumberField("slot_size_mib", slotSizeMib);
        out.writeNumberField("plugged_size_mib", pluggedSizeMib);
        out.writeNumberField("requested_size_mib", requestedSizeMib);
        out.writeEndObject();
    }
}
