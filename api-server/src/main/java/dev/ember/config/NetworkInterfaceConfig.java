package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import java.util.List;
import java.io.IOException;
import java.util.regex.Pattern;

/**
 * One entry of {@code network-interfaces} / PUT {@code /network-interfaces/{iface_id}}. The MAC
 * and rate limiters are written as null when absent, as Firecracker's GET /vm/config shows them;
 * {@code mtu}, newer, is left out.
 */
public record NetworkInterfaceConfig(
        @JsonProperty(value = "iface_id", required = true) String ifaceId,
        @JsonProperty(value = "host_dev_name", required = true) String hostDevName,
        @JsonProperty("guest_mac") @JsonInclude(JsonInclude.Include.ALWAYS) String guestMac,
        @JsonProperty("mtu") Long mtu,
        @JsonProperty("rx_rate_limiter") @JsonInclude(JsonInclude.Include.ALWAYS) RateLimiterConfig rxRateLimiter,
        @JsonProperty("tx_rate_limiter") @JsonInclude(JsonInclude.Include.ALWAYS) RateLimiterConfig txRateLimiter) {

    private static final Pattern MAC = Pattern.compile("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}");
    /** Linux IFNAMSIZ is 16 including the terminating NUL. */
    public static final int MAX_IFNAME = 15;

    public static NetworkInterfaceConfig of(String ifaceId, String hostDevName, String guestMac) {
        return new NetworkInterfaceConfig(ifaceId, hostDevName, guestMac, null, null, null);
    }

    void validate() throws ConfigException {
        Check.resourceId(ifaceId, "network-interfaces.iface_id");
        String where = "network-interfaces[" + ifaceId + "]";
        Check.nonEmpty(hostDevName, where + ".host_dev_name");
        if (hostDevName.length() > MAX_IFNAME || hostDevName.contains("/") || hostDevName.isBlank()) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, where + ".host_dev_name \"" + hostDevName + "\" is not a valid interface name;"
                    + " use a TAP device name of 1 to " + MAX_IFNAME + " characters without '/'");
        }
        if (guestMac != null) {
            if (!MAC.matcher(guestMac).matches()) {
                throw new ConfigException(ConfigException.Reason.INVALID_VALUE, where + ".guest_mac \"" + guestMac
                        + "\" is not a MAC address; use six hex byte pairs separated by ':', e.g. 06:00:AC:10:00:02");
            }
            // A multicast MAC (07:...) is accepted, as Firecracker does: the guest's driver decides.
        }
        if (mtu != null) {
            Check.range(mtu, 68, 65535, where + ".mtu");
        }
        RateLimiterConfig.validate(rxRateLimiter, where + ".rx_rate_limiter");
        RateLimiterConfig.validate(txRateLimiter, where + ".tx_rate_limiter");
    }

    boolean sameMac(NetworkInterfaceConfig other) {
        return guestMac != null && other.guestMac != null && guestMac.equalsIgnoreCase(other.guestMac);
    }

    NetworkInterfaceConfig apply(NetworkInterfaceUpdate u) {
        return new NetworkInterfaceConfig(ifaceId, hostDevName, guestMac, mtu,
                u.rxRateLimiter() != null ? u.rxRateLimiter() : rxRateLimiter,
                u.txRateLimiter() != null ? u.txRateLimiter() : txRateLimiter);
    }

    /** As {@link StrictJson#write} writes it. */
    public void write(JsonGenerator out) throws IOException {
        out.writeStartObject();
        StrictWriter.string(out, "iface_id", ifaceId);
        StrictWriter.string(out, "host_dev_name", hostDevName);
        StrictWriter.stringOrNull(out, "guest_mac", guestMac);
        StrictWriter.number(out, "mtu", mtu);
        StrictWriter.objectOrNull(out, "rx_rate_limiter", rxRateLimiter);
        StrictWriter.objectOrNull(out, "tx_rate_limiter", txRateLimiter);
        out.writeEndObject();
    }

    /** serde's non-Option fields of Firecracker's struct, in its order: refused while binding when absent. */

    static final List<String> REQUIRED = List.of("iface_id", "host_dev_name");

    static final List<String> FIELDS = List.of("iface_id", "host_dev_name", "guest_mac", "mtu", "rx_rate_limiter", "tx_rate_limiter");

    /** The body of PUT /network-interfaces/{id}, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static NetworkInterfaceConfig read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> in.object(path) ? read(in, path) : null);
    }

    /** With the parser on the object's start. */
    static NetworkInterfaceConfig read(StrictReader in, String path) throws IOException, ConfigException {
        String ifaceId = null, hostDevName = null, guestMac = null;
        Long mtu = null;
        RateLimiterConfig rxRateLimiter = null, txRateLimiter = null;
        for (String f; (f = in.field(path, FIELDS, REQUIRED)) != null; ) {
            String at = path + "." + f;
            switch (f) {
                case "iface_id" -> ifaceId = in.string(at);
                case "host_dev_name" -> hostDevName = in.string(at);
                case "guest_mac" -> guestMac = in.string(at);
                case "mtu" -> mtu = in.longValue(at);
                case "rx_rate_limiter" -> rxRateLimiter = in.object(at) ? RateLimiterConfig.read(in, at) : null;
                default -> txRateLimiter = in.object(at) ? RateLimiterConfig.read(in, at) : null; // tx_rate_limiter, the last of FIELDS
            }
        }
        return new NetworkInterfaceConfig(ifaceId, hostDevName, guestMac, mtu, rxRateLimiter, txRateLimiter);
    }
}
