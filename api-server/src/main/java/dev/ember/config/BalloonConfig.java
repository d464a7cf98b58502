package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code balloon}: a virtio-balloon device and its initial target. */
public record BalloonConfig(
        @JsonProperty("amount_mib") Long amountMib,
        @JsonProperty("deflate_on_oom") Boolean deflateOnOom,
        @JsonProperty("stats_polling_interval_s") Long statsPollingIntervalS,
        @JsonProperty("free_page_hinting") Boolean freePageHinting,
        @JsonProperty("free_page_reporting") Boolean freePageReporting) {

    public BalloonConfig {
        statsPollingIntervalS = statsPollingIntervalS == null ? 0L : statsPollingIntervalS;
        freePageHinting = freePageHinting != null && freePageHinting;
        freePageReporting = freePageReporting != null && freePageReporting;
    }

    void validate(long memSizeMib) throws ConfigException {
        Check.range(amountMib, 0, 0xFFFF_FFFFL, "balloon.amount_mib");
        Check.required(deflateOnOom, "balloon.deflate_on_oom");
        Check.range(statsPollingIntervalS, 0, 0xFFFF, "balloon.stats_polling_interval_s");
        if (Long.compareUnsigned(amountMib, memSizeMib) > 0) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "Amount of pages requested is too large. (balloon.amount_mib is " + amountMib
                    + " but machine-config.mem_size_mib is " + memSizeMib + "; use at most " + memSizeMib + ")");
        }
    }
}
