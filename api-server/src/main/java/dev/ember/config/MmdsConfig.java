package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import java.io.IOException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code mmds-config}: which interfaces answer the metadata service and at what address. */
public record MmdsConfig(
        @JsonProperty("version") MmdsVersion version,
        @JsonProperty("network_interfaces") @JsonSetter(contentNulls = Nulls.FAIL) List<String> networkInterfaces,
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
        if (!linkLocal(ipv4Address)) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "The MMDS IPv4 address is not link local."
                    + " (mmds-config.ipv4_address is \"" + ipv4Address + "\"; use an IPv4 address in 169.254.0.0/16,"
                    + " e.g. the default 169.254.169.254)");
        }
    }

    /** 169.254.0.0/16, as Firecracker's check (Rust's {@code Ipv4Addr::is_link_local}). */
    private static boolean linkLocal(String address) {
        Matcher m = IPV4.matcher(address);
        if (!m.matches()) {
            return false;
        }
        for (int i = 1; i <= 4; i++) {
            if (Integer.parseInt(m.group(i)) > 255) {
                return false;
            }
        }
        return m.group(1).equals("169") && m.group(2).equals("254");
    }

    /** A validated address as a 32-bit value, most significant octet first. */
    public static int ipv4Value(String address) {
        Matcher m = IPV4.matcher(address);
        if (!m.matches()) {
            throw new IllegalStateException("unvalidated MMDS address " + address);
        }
        int v = 0;
        for (int i = 1; i <= 4; i++) {
            v = v << 8 | Integer.parseInt(m.group(i));
        }
        return v;
    }

    static final List<String> FIELDS = List.of("version", "network_interfaces", "ipv4_address", "imds_compat");

    /** The body of PUT /mmds/config, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static MmdsConfig read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> in.object(path) ? read(in, path) : null);
    }

    /** With the parser on the object's start. */
    static MmdsConfig read(StrictReader in, String path) throws IOException, ConfigException {
        MmdsVersion version = null;
        List<String> networkInterfaces = null;
        String ipv4Address = null;
        Boolean imdsCompat = null;
        for (String f; (f = in.field(path, FIELDS)) != null; ) {
            String at = path + "." + f;
            switch (f) {
                case "version" -> version = in.enumValue(at, MmdsVersion.class);
                case "network_interfaces" -> networkInterfaces = in.list(at, StrictReader::string, "a string"); // no null entry
                case "ipv4_address" -> ipv4Address = in.string(at);
                default -> imdsCompat = in.bool(at); // imds_compat, the last of FIELDS
            }
        }
        return new MmdsConfig(version, networkInterfaces, ipv4Address, imdsCompat);
    }
}
