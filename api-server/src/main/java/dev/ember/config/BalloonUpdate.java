package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** PATCH {@code /balloon}: a new target size. */
public record BalloonUpdate(@JsonProperty("amount_mib") Long amountMib) {
    void validate(long memSizeMib) throws ConfigException {
        Check.range(amountMib, 0, 0xFFFF_FFFFL, "amount_mib");
        if (Long.compareUnsigned(amountMib, memSizeMib) > 0) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "Amount of pages requested is too large. (amount_mib is " + amountMib
                    + " but machine-config.mem_size_mib is " + UnsignedMib.toString(memSizeMib) + ")");
        }
    }
}
