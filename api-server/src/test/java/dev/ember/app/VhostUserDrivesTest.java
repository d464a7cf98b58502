package dev.ember.app;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.config.DriveConfig;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Once the VMM's end closed the held connections, a PUT the controller still runs connects to
 * nothing: the connection it would make would be held by no one until the process exits.
 */
class VhostUserDrivesTest {
    @TempDir Path dir;

    @Test
    void afterTheCloseNoDriveIsConnected() throws Exception {
        Path socket = dir.resolve("vu.sock");
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(socket));
            listener.configureBlocking(false);
            DriveConfig drive = new DriveConfig("vu", null, false, null, null, null, null, null, socket.toString());
            VhostUserDrives drives = new VhostUserDrives();
            drives.close();
            VmmException put = assertThrows(VmmException.class, () -> drives.put(drive));
            assertTrue(put.getMessage().contains("shutting down"), put.getMessage());
            assertThrows(VmmException.class, () -> drives.take(drive));
            assertNull(listener.accept(), "no connection reached the back-end's socket");
        }
    }
}
