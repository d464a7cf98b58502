package dev.ember.devices.net;

import dev.ember.devices.DeviceException;

/**
 * A TAP device could not be opened or configured. The message names the interface and the fix;
 * it reaches the user as the API's fault message. {@link #reason()} says which step failed.
 */
public final class TapException extends DeviceException {
    public enum Reason {
        /** host_dev_name is not a valid Linux interface name. */
        INVALID_NAME,
        /** /dev/net/tun could not be opened (no tun module, no permission). */
        TUN_UNAVAILABLE,
        /** TUNSETIFF refused the interface (no CAP_NET_ADMIN, busy, not a TAP). */
        ATTACH,
        /** TUNSETVNETHDRSZ failed. */
        VNET_HEADER,
        /** TUNSETOFFLOAD failed for another reason than unsupported flags. */
        OFFLOAD
    }

    public TapException(Reason reason, String message) {
        super(reason, message);
    }
}
