/* virtio-net: the shared driver (virtio_net.h) and the `virtio-net` scenario, which sends one
 * Ethernet frame and receives one over the first virtio-net device.
 *
 * The guest sends a broadcast frame whose payload is "EMBER virtio-net frame from the guest",
 * then waits up to 30 s for a frame of EtherType 0x88B5 (others are put back) and prints it:
 *   virtio-net: mac 06:00:ac:10:00:02
 *   virtio-net: sent 60-byte frame
 *   virtio-net: received <n>-byte frame from <mac>: <payload as text> */
#include "virtio_net.h"

#define VIRTIO_NET_F_MAC 5
#define NET_HDR 12
#define RX_BUFS 8
#define RX_BUF_SIZE 2048

static const char TX_TEXT[] = "EMBER virtio-net frame from the guest";
static const u8 BROADCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void post_rx(struct net *n, u16 i)
{
    n->rx.desc[i] = (struct vring_desc){(u64)(n->rx_bufs + i * RX_BUF_SIZE), RX_BUF_SIZE, VRING_DESC_F_WRITE, 0};
    vq_publish(&n->rx, i);
}

void net_open(struct net *n)
{
    memset(n, 0, sizeof(*n));
    vdev_open(&n->dev, VIRTIO_ID_NET, "virtio-net", 1UL << VIRTIO_NET_F_MAC);
    if (!(n->dev.features & (1UL << VIRTIO_NET_F_MAC)))
        test_fail(EXIT_FAIL, "virtio-net offers no MAC address (set guest_mac)");
    vq_setup(&n->dev, &n->rx, 0, 16);
    vq_setup(&n->dev, &n->tx, 1, 16);
    vdev_driver_ok(&n->dev);
    if (vdev_read(&n->dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET)
        test_fail(EXIT_FAIL, "virtio-net needs reset right after DRIVER_OK");
    for (int i = 0; i < 6; i++)
        n->mac[i] = vdev_config8(&n->dev, i);
    n->rx_bufs = page_alloc(RX_BUFS * RX_BUF_SIZE / PAGE_SIZE);
    for (u16 i = 0; i < RX_BUFS; i++)
        post_rx(n, i);
    vq_kick(&n->dev, &n->rx);
    n->tx_page = page_alloc(1);
}

void net_send(struct net *n, const u8 dst[6], const char *text)
{
    u8 *t = n->tx_page;
    u8 *frame = t + NET_HDR; /* header (all zero: no offload) then the frame */
    memset(t, 0, NET_HDR + NET_MIN_FRAME);
    memcpy(frame, dst, 6);
    memcpy(frame + 6, n->mac, 6);
    frame[12] = NET_ETHERTYPE >> 8;
    frame[13] = NET_ETHERTYPE & 0xff;
    size_t len = strlen(text);
    memcpy(frame + 14, text, len < NET_MIN_FRAME - 14 ? len : NET_MIN_FRAME - 14);
    n->tx.desc[0] = (struct vring_desc){(u64)t, NET_HDR, VRING_DESC_F_NEXT, 1};
    n->tx.desc[1] = (struct vring_desc){(u64)frame, NET_MIN_FRAME, 0, 0};
    vq_publish(&n->tx, 0);
    vq_kick(&n->dev, &n->tx);
    if (!vq_wait(&n->tx, 1, 5000))
        test_fail(EXIT_FAIL, "a TX frame was not completed within 5 s");
}

u32 net_recv(struct net *n, unsigned timeout_ms, u8 **frame, u16 *buf)
{
    u32 deadline = vdev_now_ms() + timeout_ms;
    for (;;) {
        u32 left = deadline > vdev_now_ms() ? deadline - vdev_now_ms() : 0;
        if (!vq_wait(&n->rx, 1, left))
            return 0;
        volatile struct vring_used_elem *e = vq_used_elem(&n->rx, n->rx.last_used - 1);
        u16 id = (u16)e->id;
        u32 len = e->len;
        if (id >= RX_BUFS || len < NET_HDR + 14)
            test_fail(EXIT_FAIL, "bad RX completion: id %u len %u", id, len);
        u8 *f = n->rx_bufs + id * RX_BUF_SIZE + NET_HDR;
        if (f[12] == (NET_ETHERTYPE >> 8) && f[13] == (NET_ETHERTYPE & 0xff)) {
            *frame = f;
            *buf = id;
            return len - NET_HDR;
        }
        net_rx_done(n, id); /* someone else's frame: give the buffer back */
    }
}

void net_rx_done(struct net *n, u16 buf)
{
    post_rx(n, buf);
    vq_kick(&n->dev, &n->rx);
}

void net_payload_text(const u8 *f, u32 len, char *text, u32 size)
{
    u32 tl = 0;
    while (tl < size - 1 && 14 + tl < len && f[14 + tl] >= 32 && f[14 + tl] < 127) {
        text[tl] = (char)f[14 + tl];
        tl++;
    }
    text[tl] = 0;
}

void scenario_virtio_net(void)
{
    struct net n;
    net_open(&n);
    u8 *m = n.mac;
    printf("virtio-net: mac %02x:%02x:%02x:%02x:%02x:%02x\n", m[0], m[1], m[2], m[3], m[4], m[5]);
    net_send(&n, BROADCAST, TX_TEXT);
    printf("virtio-net: sent %u-byte frame\n", NET_MIN_FRAME);

    u8 *f;
    u16 buf;
    u32 len = net_recv(&n, 30000, &f, &buf);
    if (!len)
        test_fail(EXIT_FAIL, "no frame of EtherType 0x%x arrived within 30 s", NET_ETHERTYPE);
    char text[64];
    net_payload_text(f, len, text, sizeof(text));
    printf("virtio-net: received %u-byte frame from %02x:%02x:%02x:%02x:%02x:%02x: %s\n", len, f[6], f[7], f[8],
           f[9], f[10], f[11], text);
    net_rx_done(&n, buf);
    if (n.dev.irqs == 0)
        test_fail(EXIT_FAIL, "frames moved but no virtio interrupt was taken");
}
