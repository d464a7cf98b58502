package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.io.IOException;

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

    static final List<String> FIELDS = List.of("iface_id", "rx_rate_limiter", "tx_rate_limiter");

    /** The body of PATCH /network-interfaces/{id}, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static NetworkInterfaceUpdate read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> in.object(path) ? read(in, path) : null);
    }

    /** With the parser on the object's start. */
    static NetworkInterfaceUpdate read(StrictReader in, String path) throws IOException, ConfigException {
        String ifaceId = null;
        RateLimiterConfig rxRateLimiter = null, txRateLimiter = null;
        for (String f; (f = in.field(path, FIELDS)) != null; ) {
            String at = path + "." + f;
            switch (f) {
                case "iface_id" -> ifaceId = in.string(at);
                case "rx_rate_limiter" -> rxRateLimiter = in.object(at) ? RateLimiterConfig.read(in, at) : null;
                default -> txRateLimiter = in.object(at) ? RateLimiterConfig.read(in, at) : null; // tx_rate_limiter, the last of FIELDS
            }
        }
        return new NetworkInterfaceUpdate(ifaceId, rxRateLimiter, txRateLimiter);
    }
}
