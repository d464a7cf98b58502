package dev.ember.devices.virtio;

import dev.ember.log.Log;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.lang.System.Logger.Level;
import java.nio.file.Path;

/** An open raw image file: descriptor, size in sectors, read-only or not. */
final class BlockBackingFile {
    private static final System.Logger LOG = Log.logger(BlockBackingFile.class);
    static final int SECTOR_SIZE = 512;
    private static final int SEEK_END = 2;

    final int fd;
    final long sectors;
    final Path path;

    private BlockBackingFile(int fd, long sectors, Path path) {
        this.fd = fd;
        this.sectors = sectors;
        this.path = path;
    }

    static BlockBackingFile open(String driveId, Path path, boolean readOnly) {
        int flags = (readOnly ? LibC.O_RDONLY : LibC.O_RDWR) | LibC.O_CLOEXEC;
        int fd = Native.LIBC.open(path.toString(), flags, 0);
        if (fd < 0) {
            int errno = Native.errno();
            throw new BlockDeviceException(BlockDeviceException.Reason.OPEN, errno, "drive '" + driveId + "': cannot open path_on_host " + path + " "
                    + (readOnly ? "read-only" : "read-write") + ": " + Native.LIBC.strerror(errno)
                    + (errno == LibC.EACCES && !readOnly ? " (set is_read_only or fix the file's permissions)" : ""));
        }
        long size = Native.LIBC.lseek(fd, 0, SEEK_END);
        if (size < 0) {
            int errno = Native.errno();
            Native.LIBC.close(fd);
            throw new BlockDeviceException(BlockDeviceException.Reason.SIZE, errno, "drive '" + driveId + "': cannot size path_on_host " + path + ": "
                    + Native.LIBC.strerror(errno));
        }
        if (size % SECTOR_SIZE != 0) {
            LOG.log(Level.WARNING, "drive ''{0}'': {1} is {2} bytes, not a multiple of 512; the last {3} bytes are not visible to the guest",
                    driveId, path, size, size % SECTOR_SIZE);
        }
        return new BlockBackingFile(fd, size / SECTOR_SIZE, path);
    }

    void close() {
        Native.LIBC.close(fd);
    }
}
