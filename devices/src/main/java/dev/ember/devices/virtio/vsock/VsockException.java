package dev.ember.devices.virtio.vsock;

import dev.ember.devices.DeviceException;
import java.util.Locale;

/** The vsock device could not be set up on the host; the message names the field and the fix. */
public final class VsockException extends DeviceException {
    public enum Reason {
        /** {@code uds_path} cannot be a Unix socket address (too long, NUL byte). */
        UDS_PATH,
        /** Binding or listening on {@code uds_path} failed (exists, no such directory, permissions). */
        UDS_BIND,
        /** {@code guest_cid} is reserved or out of range. */
        GUEST_CID;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public VsockException(Reason reason, String message) {
        super(reason, message);
    }
}
