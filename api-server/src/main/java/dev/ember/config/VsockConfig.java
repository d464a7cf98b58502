package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code vsock}: a virtio-vsock device proxied to Unix sockets at {@code uds_path}. */
public record VsockConfig(
        @JsonProperty("vsock_id") String vsockId,
        @JsonProperty("guest_cid") Long guestCid,
        @JsonProperty("uds_path") String udsPath) {

    void validate() throws ConfigException {
        // CIDs 0-2 are reserved (hypervisor, local, host); the field is a u32.
        Check.range(guestCid, 3, 0xFFFF_FFFFL, "vsock.guest_cid");
        Check.path(udsPath, "vsock.uds_path");
    }
}
