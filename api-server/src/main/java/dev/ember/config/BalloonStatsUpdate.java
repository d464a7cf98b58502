package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** PATCH {@code /balloon/statistics}: a new polling interval (statistics cannot be toggled). */
public record BalloonStatsUpdate(@JsonProperty("stats_polling_interval_s") Long statsPollingIntervalS) {
    void validate() throws ConfigException {
        Check.range(statsPollingIntervalS, 0, 0xFFFF, "stats_polling_interval_s");
    }
}
