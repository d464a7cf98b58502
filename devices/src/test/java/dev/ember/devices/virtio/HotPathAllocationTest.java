package dev.ember.devices.virtio;

import static dev.ember.devices.virtio.BlockHarness.*;
import static dev.ember.devices.virtio.VirtioBlock.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.ember.devices.virtio.vsock.VirtioVsock;
import dev.ember.devices.virtio.rng.VirtioRng;
import dev.ember.devices.ratelimit.RateLimiter;
import dev.ember.devices.ratelimit.TokenBucketConfig;
import dev.ember.devices.virtio.vsock.VsockPacket;
import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;
import java.lang.management.ManagementFactory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request path allocates nothing: the event-loop thread's allocation counter (HotSpot's
 * per-thread TLAB accounting) does not grow while it serves thousands of block requests after
 * warm-up. A leak of even one small object per request would show as tens of kilobytes.
 * The same for vsock packets both ways (guest to host socket and back).
 */
@ExtendWith(GuestMemoryAndLoop.class)
class HotPathAllocationTest {
    static GuestMemory mem;
    static EventLoop loop;
    static Thread loopThread;
    @TempDir Path dir;


    private static long loopAllocatedBytes() {
        com.sun.management.ThreadMXBean b = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        return b.getThreadAllocatedBytes(loopThread.getId());
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(BlockIoEngine.class)
    void blockRequestsAllocateNothingOnTheEventLoop(BlockIoEngine engine) throws Exception {
        com.sun.management.ThreadMXBean b = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(b.isThreadAllocatedMemorySupported() && b.isThreadAllocatedMemoryEnabled(),
                "this JVM does not account per-thread allocation");
        Path img = dir.resolve("alloc.img");
        Files.write(img, new byte[1 << 20]);
        VirtioBlock blk = new VirtioBlock("alloc" + (System.nanoTime() & 0xFFFF), img, false, BlockCacheType.WRITEBACK, null, engine);
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L)) {
            for (int i = 0; i < 3000; i++) { // warm-up: class loading, JIT, first-use paths
                assertEquals(S_OK, h.request(i % 2 == 0 ? T_OUT : T_IN, i % 64, 4096, i % 2 != 0));
            }
            long before = loopAllocatedBytes();
            int n = 2000;
            for (int i = 0; i < n; i++) {
                assertEquals(S_OK, h.request(i % 2 == 0 ? T_OUT : T_IN, i % 64, 4096, i % 2 != 0));
            }
            long allocated = loopAllocatedBytes() - before;
            System.out.println("HotPathAllocationTest: " + n + " block requests (" + engine + "), " + allocated + " bytes allocated on the event loop");
            assertTrue(allocated < 16 * 1024, n + " requests allocated " + allocated + " bytes on the event loop");
        }
    }

    @Test
    void vsockDataAllocatesNothingOnTheEventLoop() throws Exception {
        com.sun.management.ThreadMXBean b = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(b.isThreadAllocatedMemorySupported() && b.isThreadAllocatedMemoryEnabled(),
                "this JVM does not account per-thread allocation");
        Path uds = dir.resolve("a.sock");
        VirtioVsock vsock = new VirtioVsock(VsockGuest.GUEST_CID, uds.toString());
        try (VsockGuest g = new VsockGuest(mem, loop, vsock);
                ServerSocketChannel l = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            l.bind(UnixDomainSocketAddress.of(uds + "_7"));
            g.send(VsockPacket.OP_REQUEST, 9, 7, 0, 1 << 30, 0, null, false);
            assertEquals(VsockPacket.OP_RESPONSE, g.recv().op());
            try (SocketChannel host = l.accept()) {
                byte[] data = new byte[1024];
                ByteBuffer in = ByteBuffer.allocate(1024);
                int fwd = 0;
                for (int round = 0; round < 2; round++) {
                    long before = loopAllocatedBytes();
                    int n = round == 0 ? 3000 : 2000; // the first round warms up
                    for (int i = 0; i < n; i++) {
                        g.send(VsockPacket.OP_RW, 9, 7, 0, 1 << 30, fwd, data, false);
                        in.clear();
                        while (in.hasRemaining()) {
                            host.read(in);
                        }
                        in.flip();
                        host.write(in);
                        VsockGuest.Packet p;
                        int got = 0;
                        while (got < 1024) {
                            p = g.recv();
                            got += p.data().length;
                        }
                        fwd += got;
                    }
                    long allocated = loopAllocatedBytes() - before;
                    if (round == 1) {
                        System.out.println("HotPathAllocationTest: " + n + " vsock round trips, " + allocated + " bytes allocated on the event loop");
                        assertTrue(allocated < 16 * 1024, n + " vsock round trips allocated " + allocated + " bytes on the event loop");
                    }
                }
            }
        }
    }

    @Test
    void entropyRequestsAllocateNothingOnTheEventLoop() {
        VirtioRng rng = new VirtioRng(new RateLimiter(new TokenBucketConfig(1L << 40, 0, 1000), new TokenBucketConfig(1L << 30, 0, 1000)));
        assertSingleQueueRequestsAllocateNothing(rng, "entropy requests", ring -> ring.setDesc(0, 0x400000, 512, Virtio.DESC_F_WRITE, 0));
    }

    @Test
    void pmemFlushesAllocateNothingOnTheEventLoop() throws Exception {
        Path img = dir.resolve("pmem.img");
        Files.write(img, new byte[2 << 20]);
        dev.ember.devices.virtio.pmem.VirtioPmem pmem = new dev.ember.devices.virtio.pmem.VirtioPmem("alloc",
                dev.ember.devices.virtio.pmem.PmemBackingFile.open(img, false), 1L << 32, () -> {}, null);
        assertSingleQueueRequestsAllocateNothing(pmem, "pmem flushes", ring -> {
            mem.putInt(0x400000, 0);
            ring.setDesc(0, 0x400000, 4, Virtio.DESC_F_NEXT, 1);
            ring.setDesc(1, 0x400040, 4, Virtio.DESC_F_WRITE, 0);
        });
    }

    @Test
    void virtioMemPlugsAndUnplugsAllocateNothingOnTheEventLoop() {
        long mib = 1 << 20;
        dev.ember.devices.virtio.mem.VirtioMem vmem = new dev.ember.devices.virtio.mem.VirtioMem(1L << 32,
                dev.ember.devices.virtio.mem.HotplugRam.reserve(4 * mib), 2 * mib, 4 * mib, new dev.ember.devices.virtio.mem.VirtioMem.Slots() {
                    @Override public void map(int slot) {}
                    @Override public void unmap(int slot) {}
                });
        int[] n = {0};
        assertSingleQueueRequestsAllocateNothing(vmem, "virtio-mem plugs and unplugs", ring -> {
            if (n[0]++ == 0) {
                TestDriver.await(vmem::activated, "the driver's DRIVER_OK to reach the device");
                vmem.setRequestedSize(4 * mib);
            }
            mem.putShort(0x400000, (short) (n[0] % 2 == 0 ? dev.ember.devices.virtio.mem.VirtioMem.REQ_PLUG
                    : dev.ember.devices.virtio.mem.VirtioMem.REQ_UNPLUG));
            mem.putLong(0x400008, 1L << 32);
            mem.putShort(0x400010, (short) 2);
            ring.setDesc(0, 0x400000, 24, Virtio.DESC_F_NEXT, 1);
            ring.setDesc(1, 0x400040, 10, Virtio.DESC_F_WRITE, 0);
        });
        assertTrue(dev.ember.metrics.Metrics.group("memory_hotplug").counter("plug_bytes").get() > 0, "the plugs were served");
    }

    /**
     * Serves 3000 requests to warm up, then 2000 more, each laid out by {@code request} as chain 0
     * of the device's queue 0, published, kicked and awaited: the second round must allocate
     * (almost) nothing on the event loop.
     */
    private void assertSingleQueueRequestsAllocateNothing(VirtioDevice device, String what, java.util.function.Consumer<TestRing> request) {
        com.sun.management.ThreadMXBean b = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(b.isThreadAllocatedMemorySupported() && b.isThreadAllocatedMemoryEnabled(),
                "this JVM does not account per-thread allocation");
        TestRing ring = new TestRing(mem, 16, 0x10000);
        try (TestDriver d = TestDriver.ready(mem, loop, device, ring)) {
            for (int round = 0; round < 2; round++) {
                int n = round == 0 ? 3000 : 2000; // the first round warms up
                long before = loopAllocatedBytes();
                for (int i = 0; i < n; i++) {
                    int used = ring.usedIdx();
                    request.accept(ring);
                    ring.publish(0);
                    d.kick(0);
                    TestDriver.await(() -> ring.usedIdx() != used, what);
                }
                long allocated = loopAllocatedBytes() - before;
                if (round == 1) {
                    System.out.println("HotPathAllocationTest: " + n + " " + what + ", " + allocated + " bytes allocated on the event loop");
                    assertTrue(allocated < 16 * 1024, n + " " + what + " allocated " + allocated + " bytes on the event loop");
                }
            }
        }
    }
}
