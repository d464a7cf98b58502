package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.it.EmberProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One round trip through a 4 MiB disk a Linux guest sees as a block device: the host puts a
 * token at 1 MiB, the guest reads it there with dd and writes its own at 8 KiB with
 * {@code conv=fsync} (a block-layer flush), and the host then finds the guest's bytes in the
 * file. Used by the tests of each device that backs such a disk with a host file.
 */
final class DiskRoundTrip {
    static final int SIZE = 4 << 20;
    private static final int HOST_AT = 1 << 20;
    private static final int GUEST_AT = 8192;

    private final String token = LinuxTests.token();
    private final byte[] host = ("HOSTDATA-" + token).getBytes(StandardCharsets.US_ASCII);
    private final byte[] guest = ("GUESTDATA-" + token).getBytes(StandardCharsets.US_ASCII);

    /** The disk's bytes before the guest runs: zeros, and the host's token at 1 MiB. */
    byte[] image() {
        byte[] data = new byte[SIZE];
        System.arraycopy(host, 0, data, HOST_AT, host.length);
        return data;
    }

    /** The guest's part, for ember.cmd, on {@code /dev/<device>}. */
    String command(String device) {
        return "echo size \\$(cat /sys/block/" + device + "/size);"
                + " echo host \\$(dd if=/dev/" + device + " bs=1024 skip=" + (HOST_AT / 1024) + " count=1 2>/dev/null | head -c " + host.length + ");"
                + " printf " + new String(guest, StandardCharsets.US_ASCII) + " > /tmp/g;"
                + " dd if=/tmp/g of=/dev/" + device + " bs=4096 seek=" + (GUEST_AT / 4096) + " conv=notrunc,fsync; echo dd \\$?";
    }

    /** What the guest printed: the disk's size, the host's token read back, dd's success. */
    void assertGuestSaw(EmberProcess vm, String disk) {
        String out = vm.stdout();
        assertTrue(out.contains("size " + SIZE / 512), disk + " is the 4 MiB file (" + SIZE / 512 + " sectors)\n" + vm.describe());
        assertTrue(out.contains("host HOSTDATA-" + token), "the guest read the host's bytes at 1 MiB\n" + vm.describe());
        assertTrue(out.contains("dd 0"), vm.describe());
    }

    /** The guest's bytes at 8 KiB of {@code file}, read on the host once the guest has gone. */
    void assertGuestWroteTo(Path file) throws IOException {
        byte[] onFile = Files.readAllBytes(file);
        assertEquals(SIZE, onFile.length);
        byte[] found = Arrays.copyOfRange(onFile, GUEST_AT, GUEST_AT + guest.length);
        assertTrue(Arrays.equals(guest, found), "the guest's bytes at 8 KiB of " + file + ": " + new String(found, StandardCharsets.US_ASCII));
    }
}
