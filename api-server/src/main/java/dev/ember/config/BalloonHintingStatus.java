package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * GET {@code /balloon/hinting/status}: the command id the host last set and the last one the
 * guest sent (absent until the guest sent one).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BalloonHintingStatus(@JsonProperty("host_cmd") long hostCmd, @JsonProperty("guest_cmd") Long guestCmd) {
}
