package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * PATCH {@code /balloon/hinting/start}: starts a free page hinting run. With
 * {@code acknowledge_on_stop} (the default) the device answers the guest's STOP with DONE itself,
 * so the guest gets its hinted pages back without a {@code /balloon/hinting/stop}.
 */
public record BalloonStartCmd(@JsonProperty("acknowledge_on_stop") Boolean acknowledgeOnStop) {
    public BalloonStartCmd {
        acknowledgeOnStop = acknowledgeOnStop == null || acknowledgeOnStop;
    }
}
