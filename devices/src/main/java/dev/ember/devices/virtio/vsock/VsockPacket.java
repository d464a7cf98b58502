package dev.ember.devices.virtio.vsock;

import dev.ember.devices.virtio.DescriptorChain;

/**
 * {@code struct virtio_vsock_hdr} (virtio 1.2, 5.10.6), the 44-byte little-endian header that
 * starts every packet on the RX and TX queues, declared once here and checked against
 * linux/virtio_vsock.h by a layout test. One instance per queue is reused for every packet: the
 * fields are plain ints and longs, so reading and writing headers allocates nothing. The
 * constants are public for tests that play the guest.
 */
public final class VsockPacket {
    public static final int HDR_SIZE = 44;
    public static final int OFF_SRC_CID = 0, OFF_DST_CID = 8, OFF_SRC_PORT = 16, OFF_DST_PORT = 20, OFF_LEN = 24,
            OFF_TYPE = 28, OFF_OP = 30, OFF_FLAGS = 32, OFF_BUF_ALLOC = 36, OFF_FWD_CNT = 40;

    /** Socket type: the only one the device offers (no VIRTIO_VSOCK_F_SEQPACKET). */
    public static final int TYPE_STREAM = 1;

    public static final int OP_INVALID = 0, OP_REQUEST = 1, OP_RESPONSE = 2, OP_RST = 3, OP_SHUTDOWN = 4, OP_RW = 5,
            OP_CREDIT_UPDATE = 6, OP_CREDIT_REQUEST = 7;

    /** SHUTDOWN flags: the sender will receive no more / send no more. */
    public static final int SHUTDOWN_RCV = 1, SHUTDOWN_SEND = 2;

    /** The well-known CID of the host. */
    public static final long HOST_CID = 2;

    long srcCid;
    long dstCid;
    int srcPort;
    int dstPort;
    /** Payload length: unsigned in the header, bounded by the caller before use. */
    long len;
    int type;
    int op;
    int flags;
    int bufAlloc;
    int fwdCnt;

    /** Reads the header from the start of {@code chain}'s readable area (at least {@link #HDR_SIZE} bytes). */
    void readFrom(DescriptorChain chain) {
        srcCid = chain.readReadable(OFF_SRC_CID, 8);
        dstCid = chain.readReadable(OFF_DST_CID, 8);
        srcPort = (int) chain.readReadable(OFF_SRC_PORT, 4);
        dstPort = (int) chain.readReadable(OFF_DST_PORT, 4);
        len = chain.readReadable(OFF_LEN, 4);
        type = (int) chain.readReadable(OFF_TYPE, 2);
        op = (int) chain.readReadable(OFF_OP, 2);
        flags = (int) chain.readReadable(OFF_FLAGS, 4);
        bufAlloc = (int) chain.readReadable(OFF_BUF_ALLOC, 4);
        fwdCnt = (int) chain.readReadable(OFF_FWD_CNT, 4);
    }

    /** Writes the header at the start of {@code chain}'s writable area (at least {@link #HDR_SIZE} bytes). */
    void writeTo(DescriptorChain chain) {
        chain.writeWritable(OFF_SRC_CID, 8, srcCid);
        chain.writeWritable(OFF_DST_CID, 8, dstCid);
        chain.writeWritable(OFF_SRC_PORT, 4, srcPort);
        chain.writeWritable(OFF_DST_PORT, 4, dstPort);
        chain.writeWritable(OFF_LEN, 4, len);
        chain.writeWritable(OFF_TYPE, 2, type);
        chain.writeWritable(OFF_OP, 2, op);
        chain.writeWritable(OFF_FLAGS, 4, flags);
        chain.writeWritable(OFF_BUF_ALLOC, 4, bufAlloc);
        chain.writeWritable(OFF_FWD_CNT, 4, fwdCnt);
    }

    /** A host-to-guest header: from (HOST_CID, srcPort) to (guestCid, dstPort), no payload yet. */
    void setOutgoing(long guestCid, int op, int srcPort, int dstPort, int flags, int bufAlloc, int fwdCnt) {
        this.srcCid = HOST_CID;
        this.dstCid = guestCid;
        this.srcPort = srcPort;
        this.dstPort = dstPort;
        this.len = 0;
        this.type = TYPE_STREAM;
        this.op = op;
        this.flags = flags;
        this.bufAlloc = bufAlloc;
        this.fwdCnt = fwdCnt;
    }
}
