package dev.ember.devices.virtio;

import static dev.ember.devices.virtio.vsock.VsockPacket.*;

import dev.ember.devices.virtio.vsock.VirtioVsock;
import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;

/**
 * The guest's side of a virtio-vsock device for tests: RX buffers posted and recycled, packets
 * built by hand in guest memory (header and payload in one descriptor, or split in two as older
 * Linux drivers do) and sent one at a time.
 */
final class VsockGuest implements AutoCloseable {
    static final long GUEST_CID = 3;
    static final int RX_SIZE = 32;
    static final int RX_BUF = 4096;
    static final long RX_BUFS = 0x400000;
    static final long TX_HDR = 0x600000;
    static final long TX_DATA = 0x601000;
    static final long EV_BUF = 0x700000;

    /** A packet the device put on the RX queue. */
    record Packet(long srcCid, long dstCid, int srcPort, int dstPort, int type, int op, int flags, int bufAlloc, int fwdCnt,
            byte[] data) {}

    final GuestMemory mem;
    final TestDriver d;
    final TestRing rx;
    final TestRing tx;
    final TestRing ev;
    private int rxSeen;
    private int txSent;

    VsockGuest(GuestMemory mem, EventLoop loop, VirtioVsock device) {
        this.mem = mem;
        this.d = new TestDriver(mem, loop, device);
        d.negotiate(-1L);
        rx = new TestRing(mem, RX_SIZE, 0x10000);
        tx = new TestRing(mem, 16, 0x20000);
        ev = new TestRing(mem, 4, 0x30000);
        d.setupQueue(VirtioVsock.RX_QUEUE, rx);
        d.setupQueue(VirtioVsock.TX_QUEUE, tx);
        d.setupQueue(VirtioVsock.EVENT_QUEUE, ev);
        d.driverOk();
        for (int i = 0; i < RX_SIZE; i++) {
            rx.setDesc(i, RX_BUFS + (long) i * RX_BUF, RX_BUF, Virtio.DESC_F_WRITE, 0);
            rx.publish(i);
        }
        ev.setDesc(0, EV_BUF, 4, Virtio.DESC_F_WRITE, 0);
        ev.publish(0);
        d.kick(VirtioVsock.RX_QUEUE);
    }

    boolean needsReset() {
        return (d.r(VirtioMmioDevice.REG_STATUS) & Virtio.STATUS_DEVICE_NEEDS_RESET) != 0;
    }

    /** Sends one packet and waits until the device has taken it. */
    void send(int op, int srcPort, int dstPort, int flags, int bufAlloc, int fwdCnt, byte[] data, boolean split) {
        int len = data == null ? 0 : data.length;
        writeHeader(GUEST_CID, HOST_CID, srcPort, dstPort, len, TYPE_STREAM, op, flags, bufAlloc, fwdCnt);
        if (split && len > 0) {
            mem.write(TX_DATA, data, 0, len);
            tx.setDesc(0, TX_HDR, HDR_SIZE, Virtio.DESC_F_NEXT, 1);
            tx.setDesc(1, TX_DATA, len, 0, 0);
        } else {
            if (len > 0) {
                mem.write(TX_HDR + HDR_SIZE, data, 0, len);
            }
            tx.setDesc(0, TX_HDR, HDR_SIZE + len, 0, 0);
        }
        sendRaw();
    }

    void writeHeader(long srcCid, long dstCid, int srcPort, int dstPort, long len, int type, int op, int flags, int bufAlloc,
            int fwdCnt) {
        mem.putLong(TX_HDR + OFF_SRC_CID, srcCid);
        mem.putLong(TX_HDR + OFF_DST_CID, dstCid);
        mem.putInt(TX_HDR + OFF_SRC_PORT, srcPort);
        mem.putInt(TX_HDR + OFF_DST_PORT, dstPort);
        mem.putInt(TX_HDR + OFF_LEN, (int) len);
        mem.putShort(TX_HDR + OFF_TYPE, (short) type);
        mem.putShort(TX_HDR + OFF_OP, (short) op);
        mem.putInt(TX_HDR + OFF_FLAGS, flags);
        mem.putInt(TX_HDR + OFF_BUF_ALLOC, bufAlloc);
        mem.putInt(TX_HDR + OFF_FWD_CNT, fwdCnt);
    }

    /** Publishes descriptor 0 of the TX ring as laid out by the caller, and waits for it to be used (or the device to break). */
    void sendRaw() {
        tx.publish(0);
        d.kick(VirtioVsock.TX_QUEUE);
        int want = ++txSent;
        TestDriver.await(() -> tx.usedIdx() == (want & 0xFFFF) || needsReset(), "the TX packet to be used");
    }

    /** The next RX packet (waits for it); its buffer goes back to the device. */
    Packet recv() {
        TestDriver.await(() -> rx.usedIdx() != rxSeen, "a packet on the RX queue");
        return take();
    }

    /** The next RX packet if the device has produced one once the loop is idle, else null. */
    Packet poll() {
        d.sync();
        d.sync();
        return rx.usedIdx() != rxSeen ? take() : null;
    }

    private Packet take() {
        int id = rx.usedId(rxSeen);
        int used = rx.usedLen(rxSeen);
        rxSeen = (rxSeen + 1) & 0xFFFF;
        long b = RX_BUFS + (long) id * RX_BUF;
        int len = mem.getInt(b + OFF_LEN);
        if (used != HDR_SIZE + len) {
            throw new AssertionError("used length " + used + " is not header + len " + len);
        }
        byte[] data = new byte[len];
        mem.read(b + HDR_SIZE, data, 0, len);
        Packet p = new Packet(mem.getLong(b + OFF_SRC_CID), mem.getLong(b + OFF_DST_CID), mem.getInt(b + OFF_SRC_PORT),
                mem.getInt(b + OFF_DST_PORT), mem.getShort(b + OFF_TYPE) & 0xFFFF, mem.getShort(b + OFF_OP) & 0xFFFF,
                mem.getInt(b + OFF_FLAGS), mem.getInt(b + OFF_BUF_ALLOC), mem.getInt(b + OFF_FWD_CNT), data);
        rx.publish(id);
        d.kick(VirtioVsock.RX_QUEUE);
        return p;
    }

    int eventsUsed() {
        return ev.usedIdx();
    }

    int eventId() {
        return mem.getInt(EV_BUF);
    }

    @Override
    public void close() {
        d.close();
    }
}
