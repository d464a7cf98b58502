package dev.ember.devices.virtio;

import dev.ember.sys.LibC;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code io_engine}: how a drive's requests reach its file. */
public enum BlockIoEngine {
    /** preadv/pwritev/fsync on the event loop, one request at a time (the default). */
    SYNC,
    /** io_uring: many requests in flight, completions reaped on the event loop. */
    ASYNC;

    static final Path IO_URING_DISABLED = Path.of("/proc/sys/kernel/io_uring_disabled");

    /** The error for a host whose kernel refuses io_uring: names the fix and the Sync fallback. */
    static BlockDeviceException unavailable(String driveId, IoUringException e) {
        return new BlockDeviceException(BlockDeviceException.Reason.IO_ENGINE, e.errno(),
                unavailableMessage(driveId, e.errno(), e.getMessage(), disabledSetting()));
    }

    static String unavailableMessage(String driveId, int errno, String failure, String disabledSetting) {
        String why;
        if (errno == LibC.ENOSYS) {
            why = "this host kernel has no io_uring (built without CONFIG_IO_URING, or a seccomp filter hides it)";
        } else if (errno == LibC.EPERM || errno == LibC.EACCES) {
            why = "this host kernel refuses io_uring to this process"
                    + (disabledSetting == null ? "" : " (kernel.io_uring_disabled is " + disabledSetting + ")")
                    + "; allow it with sysctl -w kernel.io_uring_disabled=0";
        } else {
            why = "io_uring could not be set up";
        }
        return "drive '" + driveId + "': io_engine Async needs io_uring, but " + why + " [" + failure
                + "]; set \"io_engine\": \"Sync\" to use the synchronous engine instead";
    }

    private static String disabledSetting() {
        try {
            return Files.readString(IO_URING_DISABLED).trim();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
