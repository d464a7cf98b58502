package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;

/**
 * GET {@code /balloon/hinting/status}: the command id the host last set and the last one the
 * guest sent (absent until the guest sent one).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BalloonHintingStatus(@JsonProperty("host_cmd") long hostCmd, @JsonProperty("guest_cmd") Long guestCmd)
        implements StrictWriter.Writable {
    @Override
    public void write(JsonGenerator out) throws IOException {
        out.writeStartObject();
        out.writeNumberField("host_cmd", hostCmd);
        StrictWriter.number(out, "guest_cmd", guestCmd);
        out.writeEndObject();
    }

}
