package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** PATCH {@code /network-interfaces/{iface_id}} (post-boot): new rate limiters. */
public record NetworkInterfaceUpdate(
        @JsonProperty("iface_id") String ifaceId,
        @JsonProperty("rx_rate_limiter") RateLimiterConfig rxRateLimiter,
        @JsonProperty("tx_rate_limiter") RateLimiterConfig txRateLimiter) {

    void validate() throws ConfigException {
        Check.resourceId(ifaceId, "iface_id");
        RateLimiterConfig.validate(rxRateLimiter, "network-interfaces[" + ifaceId + "].rx_rate_limiter");
        RateLimiterConfig.validate(txRateLimiter, "network-interfaces[" + ifaceId + "].tx_rate_limiter");
    }
}
