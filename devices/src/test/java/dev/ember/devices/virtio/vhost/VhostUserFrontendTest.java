package dev.ember.devices.virtio.vhost;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.devices.virtio.Virtio;
import dev.ember.devices.virtio.VirtioBlock;
import dev.ember.eventloop.EventFd;
import dev.ember.memory.GuestMemory;
import dev.ember.memory.GuestRegion;
import dev.ember.sys.FdPassing;
import dev.ember.sys.Native;
import dev.ember.sys.NativeMemory;
import dev.ember.testing.StorageDaemon;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ember's vhost-user front-end driving a real back-end, qemu-storage-daemon's vhost-user-blk
 * export of an image file, with no VM: the test is the guest driver. It negotiates, hands over
 * shared guest RAM (a memfd), lays out a split virtqueue in it by hand, posts virtio-blk
 * requests, kicks the queue's eventfd and waits for the call eventfd, then checks the bytes on
 * both sides: a sector written into the image beforehand is read into guest memory, and a
 * sector the guest writes is in the image file afterwards.
 */
class VhostUserFrontendTest {
    private static final int TIMEOUT_MS = 10_000;
    private static final int SECTOR = 512;
    private static final long IMAGE_BYTES = 1 << 20;
    private static final int QUEUE_SIZE = 16;
    /** Guest-physical layout in 1 MiB of RAM: the ring, then one request's header, data and status. */
    private static final long DESC = 0x1000, AVAIL = 0x2000, USED = 0x3000, HEADER = 0x4000, DATA = 0x5000, STATUS = 0x6000;

    @TempDir Path dir;

    @Test
    void aGuestReadAndWriteAreServedByQemuStorageDaemon() throws Exception {
        byte[] sector3 = pattern(3);
        Path image = StorageDaemon.rawImage(dir.resolve("disk.img"), IMAGE_BYTES, 3L * SECTOR, sector3);
        try (StorageDaemon daemon = StorageDaemon.start(image, dir.resolve("blk.sock"), true);
                VhostUserFrontend vu = VhostUserFrontend.connect(daemon.socket(), TIMEOUT_MS);
                GuestMemory mem = GuestMemory.createShared(1 << 20);
                EventFd kick = EventFd.nonBlocking();
                EventFd call = EventFd.nonBlocking();
                EventFd err = EventFd.nonBlocking()) {
            long offered = vu.getFeatures();
            assertTrue((offered & (1L << VhostUserAbi.F_PROTOCOL_FEATURES)) != 0, "protocol features offered");
            assertTrue((offered & (1L << Virtio.F_VERSION_1)) != 0, "VIRTIO_F_VERSION_1 offered");
            long protocol = vu.getProtocolFeatures();
            long wanted = (1L << VhostUserAbi.PROTOCOL_F_REPLY_ACK) | (1L << VhostUserAbi.PROTOCOL_F_CONFIG);
            assertEquals(wanted, protocol & wanted, "REPLY_ACK and CONFIG offered");
            vu.setProtocolFeatures(wanted);
            assertTrue(vu.acknowledged());
            vu.setOwner();

            ByteBuffer config = ByteBuffer.wrap(vu.getConfig(0, 8)).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(IMAGE_BYTES / SECTOR, config.getLong(0), "capacity in sectors, from the back-end's config space");

            vu.setFeatures((1L << Virtio.F_VERSION_1) | (1L << VirtioBlock.F_FLUSH) | (1L << VhostUserAbi.F_PROTOCOL_FEATURES));
            GuestRegion ram = mem.regions().get(0);
            vu.setMemTable(List.of(new VhostUserFrontend.MemoryRegion(ram.guestBase(), ram.size(), ram.hostAddress(),
                    mem.sharedFd(), mem.fileOffset(0))));
            vu.setVringNum(0, QUEUE_SIZE);
            vu.setVringBase(0, 0);
            vu.setVringAddr(0, mem.hostAddress(DESC, 16L * QUEUE_SIZE), mem.hostAddress(USED, 6 + 8L * QUEUE_SIZE),
                    mem.hostAddress(AVAIL, 6 + 2L * QUEUE_SIZE));
            vu.setVringCall(0, call.fd());
            vu.setVringErr(0, err.fd());
            vu.setVringKick(0, kick.fd());
            vu.setVringEnable(0, true);

            // Read sector 3 into guest memory.
            request(mem, 0, VirtioBlock.T_IN, 3);
            kick.write(1);
            awaitUsed(mem, call, 1, "the read");
            assertEquals(0, mem.getInt(USED + 4), "the read's head descriptor");
            assertEquals(SECTOR + 1, mem.getInt(USED + 8), "bytes written: the sector and the status");
            assertEquals(VirtioBlock.S_OK, mem.getByte(STATUS));
            byte[] read = new byte[SECTOR];
            mem.read(DATA, read, 0, SECTOR);
            assertArrayEquals(sector3, read, "sector 3 of the image, in guest memory");

            // Write sector 5 from guest memory.
            byte[] sector5 = pattern(5);
            mem.write(DATA, sector5, 0, SECTOR);
            mem.putByte(STATUS, (byte) 0xff);
            request(mem, 1, VirtioBlock.T_OUT, 5);
            kick.write(1);
            awaitUsed(mem, call, 2, "the write");
            assertEquals(VirtioBlock.S_OK, mem.getByte(STATUS));
            byte[] onDisk = StorageDaemon.read(image, 5L * SECTOR, SECTOR);
            assertArrayEquals(sector5, onDisk, "sector 5 of the image file, as the guest wrote it");

            assertEquals(2, vu.getVringBase(0), "stopping the queue reports the next available index");
            assertEquals(0, err.read(), "no queue error signalled");
        }
        assertEquals(IMAGE_BYTES, Files.size(image));
    }

    /** Posts request {@code n} (the n-th of the ring): header, data (device-written for a read), status. */
    private static void request(GuestMemory mem, int n, int type, long sector) {
        mem.putInt(HEADER, type);
        mem.putInt(HEADER + 4, 0);
        mem.putLong(HEADER + 8, sector);
        int head = 3 * n;
        descriptor(mem, head, HEADER, 16, Virtio.DESC_F_NEXT, head + 1);
        descriptor(mem, head + 1, DATA, SECTOR, Virtio.DESC_F_NEXT | (type == VirtioBlock.T_IN ? Virtio.DESC_F_WRITE : 0), head + 2);
        descriptor(mem, head + 2, STATUS, 1, Virtio.DESC_F_WRITE, 0);
        mem.putShort(AVAIL + 4 + 2L * (n % QUEUE_SIZE), (short) head);
        mem.putShort(AVAIL + 2, (short) (n + 1)); // published after the ring entry: x86 keeps stores in order
    }

    private static void descriptor(GuestMemory mem, int i, long addr, int len, int flags, int next) {
        long d = DESC + (long) Virtio.DESC_SIZE * i;
        mem.putLong(d, addr);
        mem.putInt(d + 8, len);
        mem.putShort(d + 12, (short) flags);
        mem.putShort(d + 14, (short) next);
    }

    /**
     * Waits on the call eventfd until the used ring's index is {@code usedIdx}. A signal may come
     * with nothing new: libvhost-user signals a call fd when it is set (for a front-end that
     * reconnected while requests were in flight), so each one is checked against the ring.
     */
    private static void awaitUsed(GuestMemory mem, EventFd call, int usedIdx, String what) {
        NativeMemory pfd = Native.allocate(FdPassing.POLLFD_SIZE);
        pfd.putInt(FdPassing.POLLFD_FD, call.fd());
        pfd.putShort(FdPassing.POLLFD_EVENTS, FdPassing.POLLIN);
        for (int signals = 0; (mem.getShort(USED + 2) & 0xffff) != usedIdx; signals++) {
            assertTrue(signals < 3, "used index " + (mem.getShort(USED + 2) & 0xffff) + " after " + signals + " signals, expected "
                    + usedIdx + " after " + what);
            assertEquals(1, Native.LIBC.poll(pfd.address(), 1, TIMEOUT_MS), "no interrupt from the back-end for " + what);
            call.read();
        }
    }

    private static byte[] pattern(int seed) {
        byte[] b = new byte[SECTOR];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (seed * 31 + i * 7);
        }
        return b;
    }
}
