package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code mmds-config}: which interfaces answer the metadata service and at what address. */
public record MmdsConfig(
        @JsonProperty("version") MmdsVersion version,
        @JsonProperty("network_interfaces") List<String> networkInterfaces,
        @JsonProperty("ipv4_address") String ipv4Address,
        @JsonProperty("imds_compat") Boolean imdsCompat) {

    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

    public MmdsConfig {
        version = version == null ? MmdsVersion.V1 : version;
        ipv4Address = ipv4Address == null ? "169.254.169.254" : ipv4Address;
        imdsCompat = imdsCompat != null && imdsCompat;
        networkInterfaces = networkInterfaces == null ? null : List.copyOf(networkInterfaces);
    }

    void validate(List<String> knownInterfaces) throws ConfigException {
        Check.required(networkInterfaces, "mmds-config.network_interfaces");
        if (networkInterfaces.isEmpty()) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "The list of network interface IDs that allow forwarding MMDS requests is empty."
                    + " (mmds-config.network_interfaces: name at least one iface_id)");
        }
        for (String id : networkInterfaces) {
            if (!knownInterfaces.contains(id)) {
                throw new ConfigException(ConfigException.Reason.NOT_FOUND, "The list of network interface IDs provided contains at least one ID that does"
                        + " not correspond to any existing network interface. (mmds-config.network_interfaces has \""
                        + id + "\"; configure that network interface first)");
            }
        }
        Matcher m = IPV4.matcher(ipv4Address);
        boolean ok = m.matches();
        if (ok) {
            int a = Integer.parseInt(m.group(1)), b = Integer.parseInt(m.group(2));
            int c = Integer.parseInt(m.group(3)), d = Integer.parseInt(m.group(4));
            ok = a == 169 && b == 254 && c >= 1 && c <= 254 && d <= 255;
        }
        if (!ok) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "mmds-config.ipv4_address \"" + ipv4Address
                    + "\" is not a valid IPv4 link-local address; use 169.254.1.0 to 169.254.254.255");
        }
    }
}
