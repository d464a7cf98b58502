/* virtio-vsock: one stream each way over the first vsock device (stream sockets, virtio 1.2
 * section 5.10), with just enough of the protocol for a scripted host peer:
 *   1. host -> guest: listens on port 1000, answers the host's REQUEST (the VMM sends it when a
 *      host process writes "CONNECT 1000\n" to uds_path) and echoes every byte back until the
 *      host shuts the stream down;
 *   2. guest -> host: connects to (CID 2, port 2000), i.e. the host's <uds_path>_2000, sends a
 *      line, prints the host's reply and closes (SHUTDOWN, then the VMM's RST).
 * Output lines start with "virtio-vsock: ". */
#include "virtio_queue.h"

#define HDR 44
#define RX_BUFS 8
#define RX_BUF_SIZE 4096
#define BUF_ALLOC (64 * 1024)
#define HOST_CID 2
#define ECHO_PORT 1000
#define HOST_PORT 2000
#define GUEST_PORT 3000
#define TIMEOUT_MS 60000

enum { OP_REQUEST = 1, OP_RESPONSE, OP_RST, OP_SHUTDOWN, OP_RW, OP_CREDIT_UPDATE, OP_CREDIT_REQUEST };
#define SHUTDOWN_BOTH 3

struct vsock_hdr {
    u64 src_cid, dst_cid;
    u32 src_port, dst_port, len;
    u16 type, op;
    u32 flags, buf_alloc, fwd_cnt;
} __attribute__((packed));

struct vsock {
    struct vdev dev;
    struct vq rx, tx, ev;
    u64 cid;
    u8 *rx_bufs;
    u8 *tx_page;
    u32 *ev_buf;
    u32 fwd_cnt; /* bytes received on the current stream */
};

static void post_rx(struct vsock *v, u16 i)
{
    v->rx.desc[i] = (struct vring_desc){(u64)(v->rx_bufs + i * RX_BUF_SIZE), RX_BUF_SIZE, VRING_DESC_F_WRITE, 0};
    vq_publish(&v->rx, i);
}

static void vsock_open(struct vsock *v)
{
    memset(v, 0, sizeof(*v));
    vdev_open(&v->dev, VIRTIO_ID_VSOCK, "virtio-vsock", 0);
    vq_setup(&v->dev, &v->rx, 0, RX_BUFS);
    vq_setup(&v->dev, &v->tx, 1, 8);
    vq_setup(&v->dev, &v->ev, 2, 4);
    vdev_driver_ok(&v->dev);
    if (vdev_read(&v->dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET)
        test_fail(EXIT_FAIL, "virtio-vsock needs reset right after DRIVER_OK");
    v->cid = vdev_config64(&v->dev, 0);
    v->rx_bufs = page_alloc(RX_BUFS * RX_BUF_SIZE / PAGE_SIZE);
    for (u16 i = 0; i < RX_BUFS; i++)
        post_rx(v, i);
    vq_kick(&v->dev, &v->rx);
    v->ev_buf = page_alloc(1);
    v->ev.desc[0] = (struct vring_desc){(u64)v->ev_buf, 4, VRING_DESC_F_WRITE, 0};
    vq_publish(&v->ev, 0);
    vq_kick(&v->dev, &v->ev);
    v->tx_page = page_alloc(1);
}

static void send_pkt(struct vsock *v, u16 op, u32 src_port, u32 dst_port, u32 flags, const void *data, u32 len)
{
    struct vsock_hdr *h = (struct vsock_hdr *)v->tx_page;
    *h = (struct vsock_hdr){v->cid, HOST_CID, src_port, dst_port, len, 1, op, flags, BUF_ALLOC, v->fwd_cnt};
    if (len)
        memcpy(v->tx_page + HDR, data, len);
    v->tx.desc[0] = (struct vring_desc){(u64)v->tx_page, HDR + len, 0, 0};
    vq_publish(&v->tx, 0);
    vq_kick(&v->dev, &v->tx);
    if (!vq_wait(&v->tx, 1, 5000))
        test_fail(EXIT_FAIL, "a vsock TX packet (op %u) was not completed within 5 s", op);
}

/* The next packet other than a credit update (a credit request is answered here); its buffer
 * index in *buf, to hand back with rx_done. */
static struct vsock_hdr *recv_pkt(struct vsock *v, u16 *buf)
{
    for (;;) {
        if (!vq_wait(&v->rx, 1, TIMEOUT_MS))
            test_fail(EXIT_FAIL, "no vsock packet within %u s", TIMEOUT_MS / 1000);
        volatile struct vring_used_elem *e = vq_used_elem(&v->rx, v->rx.last_used - 1);
        u16 id = (u16)e->id;
        if (id >= RX_BUFS || e->len < HDR)
            test_fail(EXIT_FAIL, "bad vsock RX completion: id %u len %u", id, e->len);
        struct vsock_hdr *h = (struct vsock_hdr *)(v->rx_bufs + id * RX_BUF_SIZE);
        if (h->dst_cid != v->cid || h->src_cid != HOST_CID || h->len > e->len - HDR)
            test_fail(EXIT_FAIL, "bad vsock header: %lu -> %lu, len %u in %u bytes", h->src_cid, h->dst_cid, h->len, e->len);
        if (h->op == OP_CREDIT_REQUEST)
            send_pkt(v, OP_CREDIT_UPDATE, h->dst_port, h->src_port, 0, 0, 0);
        if (h->op == OP_CREDIT_UPDATE || h->op == OP_CREDIT_REQUEST) {
            post_rx(v, id);
            vq_kick(&v->dev, &v->rx);
            continue;
        }
        *buf = id;
        return h;
    }
}

static void rx_done(struct vsock *v, u16 buf)
{
    post_rx(v, buf);
    vq_kick(&v->dev, &v->rx);
}

static void echo_host_stream(struct vsock *v)
{
    u16 buf;
    struct vsock_hdr *h = recv_pkt(v, &buf);
    if (h->op != OP_REQUEST || h->dst_port != ECHO_PORT)
        test_fail(EXIT_FAIL, "expected a REQUEST for port %u, got op %u for port %u", ECHO_PORT, h->op, h->dst_port);
    u32 peer = h->src_port;
    rx_done(v, buf);
    v->fwd_cnt = 0;
    send_pkt(v, OP_RESPONSE, ECHO_PORT, peer, 0, 0, 0);
    u32 total = 0;
    for (;;) {
        h = recv_pkt(v, &buf);
        if (h->src_port != peer || h->dst_port != ECHO_PORT)
            test_fail(EXIT_FAIL, "packet for another stream: %u -> %u", h->src_port, h->dst_port);
        if (h->op == OP_RW) {
            u32 len = h->len;
            v->fwd_cnt += len;
            total += len;
            static u8 data[RX_BUF_SIZE - HDR];
            memcpy(data, (u8 *)h + HDR, len);
            rx_done(v, buf);
            send_pkt(v, OP_RW, ECHO_PORT, peer, 0, data, len);
            continue;
        }
        u16 op = h->op;
        rx_done(v, buf);
        if (op == OP_SHUTDOWN) {
            send_pkt(v, OP_RST, ECHO_PORT, peer, 0, 0, 0);
            break;
        }
        if (op == OP_RST)
            break;
        test_fail(EXIT_FAIL, "unexpected op %u on the echo stream", op);
    }
    printf("virtio-vsock: echoed %u bytes to host port %u\n", total, peer);
}

static void talk_to_host(struct vsock *v)
{
    static const char LINE[] = "hello from the guest over vsock\n";
    u16 buf;
    v->fwd_cnt = 0;
    send_pkt(v, OP_REQUEST, GUEST_PORT, HOST_PORT, 0, 0, 0);
    struct vsock_hdr *h = recv_pkt(v, &buf);
    if (h->op != OP_RESPONSE)
        test_fail(EXIT_FAIL, "connect to host port %u: op %u instead of RESPONSE", HOST_PORT, h->op);
    rx_done(v, buf);
    send_pkt(v, OP_RW, GUEST_PORT, HOST_PORT, 0, LINE, sizeof(LINE) - 1);
    char reply[64];
    u32 got = 0;
    for (;;) {
        h = recv_pkt(v, &buf);
        u16 op = h->op;
        if (op == OP_RW) {
            for (u32 i = 0; i < h->len && got < sizeof(reply) - 1; i++)
                if (((u8 *)h)[HDR + i] >= 32)
                    reply[got++] = (char)((u8 *)h)[HDR + i];
            v->fwd_cnt += h->len;
        }
        rx_done(v, buf);
        if (op == OP_SHUTDOWN || op == OP_RST)
            break;
    }
    reply[got] = 0;
    printf("virtio-vsock: host replied: %s\n", reply);
    send_pkt(v, OP_SHUTDOWN, GUEST_PORT, HOST_PORT, SHUTDOWN_BOTH, 0, 0);
    h = recv_pkt(v, &buf);
    if (h->op != OP_RST)
        test_fail(EXIT_FAIL, "close: op %u instead of RST", h->op);
    rx_done(v, buf);
    printf("virtio-vsock: closed\n");
}

void scenario_virtio_vsock(void)
{
    struct vsock v;
    vsock_open(&v);
    printf("virtio-vsock: cid %lu, listening on port %u\n", v.cid, ECHO_PORT);
    echo_host_stream(&v);
    talk_to_host(&v);
    if (v.dev.irqs == 0)
        test_fail(EXIT_FAIL, "packets moved but no virtio interrupt was taken");
}

/* vsock-snapshot: sets the device up (an event buffer posted), prints
 * "EMBER-TEST: READY vsock-snapshot" and waits up to 120 s for an event: the host snapshots the
 * VM and loads it in a new process, which must tell the guest its connections are gone
 * (VIRTIO_VSOCK_EVENT_TRANSPORT_RESET, id 0): "virtio-vsock: event <id> after the snapshot".
 * Then waits for a byte on the serial input (so the host can look at the loaded VM) and ends. */
static void serial_irq(struct irq_frame *f)
{
    (void)f; /* the loop below polls the receiver */
}

void scenario_vsock_snapshot(void)
{
    struct vsock v;
    vsock_open(&v);
    printf("EMBER-TEST: READY vsock-snapshot\n");
    if (!vq_wait(&v.ev, 1, 120000))
        test_fail(EXIT_FAIL, "no vsock event within 120 s");
    volatile struct vring_used_elem *e = vq_used_elem(&v.ev, v.ev.last_used - 1);
    if (e->id != 0 || e->len != 4)
        test_fail(EXIT_FAIL, "bad vsock event completion: id %u len %u", e->id, e->len);
    printf("virtio-vsock: event %u after the snapshot\n", *v.ev_buf);
    if (*v.ev_buf != 0)
        test_fail(EXIT_FAIL, "expected TRANSPORT_RESET (0)");
    ioapic_route(SERIAL_IRQ, serial_irq);
    serial_enable_rx_irq();
    while (!serial_rx_ready())
        irq_enable_and_halt();
}
