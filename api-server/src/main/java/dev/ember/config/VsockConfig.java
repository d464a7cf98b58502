package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import java.util.List;
import java.io.IOException;

/** {@code vsock}: a virtio-vsock device proxied to Unix sockets at {@code uds_path}. */
public record VsockConfig(
        @JsonProperty("vsock_id") String vsockId,
        @JsonProperty(value = "guest_cid", required = true) Long guestCid,
        @JsonProperty(value = "uds_path", required = true) String udsPath) {

    void validate() throws ConfigException {
        // CIDs 0-2 are reserved (hypervisor, local, host); the field is a u32.
        Check.range(guestCid, 3, 0xFFFF_FFFFL, "vsock.guest_cid");
        Check.path(udsPath, "vsock.uds_path");
    }

    /** As {@link StrictJson#write} writes it. */
    public void write(JsonGenerator out) throws IOException {
        out.writeStartObject();
        StrictWriter.string(out, "vsock_id", vsockId);
        StrictWriter.number(out, "guest_cid", guestCid);
        StrictWriter.string(out, "uds_path", udsPath);
        out.writeEndObject();
    }

    /** serde's non-Option fields of Firecracker's struct, in its order: refused while binding when absent. */

    static final List<String> REQUIRED = List.of("guest_cid", "uds_path");

    static final List<String> FIELDS = List.of("vsock_id", "guest_cid", "uds_path");

    /** The body of PUT /vsock, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static VsockConfig read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> in.object(path) ? read(in, path) : null);
    }

    /** With the parser on the object's start. */
    static VsockConfig read(StrictReader in, String path) throws IOException, ConfigException {
        String vsockId = null, udsPath = null;
        Long guestCid = null;
        for (String f; (f = in.field(path, FIELDS, REQUIRED)) != null; ) {
            String at = path + "." + f;
            switch (f) {
                case "vsock_id" -> vsockId = in.string(at);
                case "guest_cid" -> guestCid = in.longValue(at);
                default -> udsPath = in.string(at); // uds_path, the last of FIELDS
            }
        }
        return new VsockConfig(vsockId, guestCid, udsPath);
    }
}
