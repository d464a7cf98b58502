package dev.ember.app;

import dev.ember.config.CacheType;
import dev.ember.config.DriveConfig;
import dev.ember.devices.virtio.vhost.VhostUserBlock;
import dev.ember.devices.virtio.vhost.VhostUserException;
import dev.ember.sys.Native;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The vhost-user drives connected before the start. Firecracker connects to a drive's back-end,
 * negotiates and reads its configuration when the drive is PUT, so a socket nobody serves is
 * refused there; Ember does the same, keeps the connected front-end here and InstanceStart
 * attaches it ({@link #take}) instead of connecting again. A drive PUT again, with a socket or a
 * file, lets its old connection go; so does the VMM's end.
 *
 * <p>Threading: the controller's thread puts, the start (same thread) takes; {@link #close} may
 * come from the shutdown hook, hence synchronized. A PUT the controller still runs after the
 * close is refused: a connection made then would be held by no one.
 */
final class VhostUserDrives implements AutoCloseable {
    /** How long a vhost-user back-end may take to answer any one request before the drive fails. */
    static final int TIMEOUT_MS = 5_000;
    /** Firecracker's text for a vhost-user drive whose device could not be created, up to the cause. */
    static final String CREATE_FAILED = "Unable to create the virtio block device: Vhost user backend error: Vhost-user error: ";

    private final Map<String, VhostUserBlock> connected = new LinkedHashMap<>();
    private boolean closed;

    /**
     * PUT /drives before the start: a vhost-user drive is connected and negotiated now (bounded by
     * {@link #TIMEOUT_MS} per request) and replaces this id's connection, which is closed; any
     * other drive only closes the connection its id held. A new connection to another socket is
     * made before the old one goes, so a failure leaves the drive as it was; to the same socket
     * the old one goes first, since a back-end may serve one front-end at a time
     * (qemu-storage-daemon does) and would leave the new one unanswered. The start connects
     * again for a drive left without a connection.
     */
    synchronized void put(DriveConfig drive) throws VmmException {
        requireOpen(drive);
        VhostUserBlock old = connected.get(drive.driveId());
        if (old != null && (!drive.vhostUser() || old.socket().equals(Path.of(drive.socket())))) {
            connected.remove(drive.driveId()).close();
            old = null;
        }
        if (drive.vhostUser()) {
            connected.put(drive.driveId(), connect(drive));
            if (old != null) {
                old.close();
            }
        }
    }

    /**
     * The front-end PUT connected for {@code drive}, now the caller's, or a new connection when
     * there is none (a start that failed closed the one it took).
     */
    synchronized VhostUserBlock take(DriveConfig drive) throws VmmException {
        requireOpen(drive);
        VhostUserBlock blk = connected.remove(drive.driveId());
        if (blk != null && blk.socket().equals(Path.of(drive.socket()))) {
            return blk;
        }
        if (blk != null) {
            blk.close(); // not the drive as configured now (cannot happen through put): connect to the one that is
        }
        return connect(drive);
    }

    private void requireOpen(DriveConfig drive) throws VmmException {
        if (closed) {
            throw new VmmException("drive \"" + drive.driveId() + "\": the VMM is shutting down, no back-end is connected any more");
        }
    }

    private static VhostUserBlock connect(DriveConfig drive) throws VmmException {
        try {
            return VhostUserBlock.connect(drive.driveId(), Path.of(drive.socket()), drive.cacheType() == CacheType.Writeback,
                    TIMEOUT_MS);
        } catch (VhostUserException e) {
            throw new VmmException(createFailed(drive, e));
        }
    }

    /**
     * Firecracker's text for the failure, then Ember's: a connect refused by the OS as Rust
     * prints an io::Error ({@code strerror (os error N)}), any other failure as Ember says it.
     */
    static String createFailed(DriveConfig drive, VhostUserException e) {
        String where = " (drive \"" + drive.driveId() + "\", socket " + drive.socket() + ")";
        if (e.reason() == VhostUserException.Reason.CONNECT && e.errno() > 0) {
            return CREATE_FAILED + "Failed to connect to UDS Unix stream: " + Native.LIBC.strerror(e.errno())
                    + " (os error " + e.errno() + ")" + where + "; is the back-end running and listening there?";
        }
        return CREATE_FAILED + e.getMessage() + where;
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (VhostUserBlock blk : connected.values()) {
            blk.close();
        }
        connected.clear();
    }
}
