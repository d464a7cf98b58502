/* virtio-net: sends one Ethernet frame and receives one, over the first virtio-net device.
 *
 * Frames use the IEEE "local experimental" EtherType 0x88B5. The guest sends a broadcast frame
 * whose payload is "EMBER virtio-net frame from the guest", then waits up to 30 s for a frame
 * of that EtherType (others are put back) and prints it:
 *   virtio-net: mac 06:00:ac:10:00:02
 *   virtio-net: sent 60-byte frame
 *   virtio-net: received <n>-byte frame from <mac>: <payload as text>
 * Offloads and MRG_RXBUF are not negotiated: every frame has a 12-byte virtio_net_hdr_v1. */
#include "virtio_queue.h"

#define VIRTIO_NET_F_MAC 5
#define NET_HDR 12
#define ETHERTYPE 0x88b5
#define RX_BUFS 8
#define RX_BUF_SIZE 2048
#define MIN_FRAME 60

static const char TX_TEXT[] = "EMBER virtio-net frame from the guest";

static void post_rx(struct vq *rx, u8 *bufs, u16 i)
{
    rx->desc[i] = (struct vring_desc){(u64)(bufs + i * RX_BUF_SIZE), RX_BUF_SIZE, VRING_DESC_F_WRITE, 0};
    vq_publish(rx, i);
}

void scenario_virtio_net(void)
{
    virtio_mmio_scan();
    struct virtio_mmio_dev *m = virtio_mmio_find(VIRTIO_ID_NET, 0);
    if (!m)
        test_fail(EXIT_FAIL, "no virtio-net device on the command line (virtio_mmio.device=)");
    struct vdev dev = {.base = m->base, .irq = m->irq};
    struct vq rx, tx;
    vdev_irq_setup(&dev);
    if (!vdev_init(&dev, m, 1UL << VIRTIO_NET_F_MAC))
        test_fail(EXIT_FAIL, "virtio-net refused features 0x%lx", dev.features);
    if (!(dev.features & (1UL << VIRTIO_NET_F_MAC)))
        test_fail(EXIT_FAIL, "virtio-net offers no MAC address (set guest_mac)");
    vq_setup(&dev, &rx, 0, 16);
    vq_setup(&dev, &tx, 1, 16);
    vdev_driver_ok(&dev);
    if (vdev_read(&dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET)
        test_fail(EXIT_FAIL, "virtio-net needs reset right after DRIVER_OK");
    u8 mac[6];
    for (int i = 0; i < 6; i++)
        mac[i] = vdev_config8(&dev, i);
    printf("virtio-net: mac %02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);

    u8 *bufs = page_alloc(RX_BUFS * RX_BUF_SIZE / PAGE_SIZE);
    for (u16 i = 0; i < RX_BUFS; i++)
        post_rx(&rx, bufs, i);
    vq_kick(&dev, &rx);

    u8 *t = page_alloc(1);
    u8 *frame = t + NET_HDR; /* header (all zero: no offload) then the frame */
    memset(frame, 0xff, 6);
    memcpy(frame + 6, mac, 6);
    frame[12] = ETHERTYPE >> 8;
    frame[13] = ETHERTYPE & 0xff;
    memcpy(frame + 14, TX_TEXT, sizeof(TX_TEXT));
    tx.desc[0] = (struct vring_desc){(u64)t, NET_HDR, VRING_DESC_F_NEXT, 1};
    tx.desc[1] = (struct vring_desc){(u64)frame, MIN_FRAME, 0, 0};
    vq_publish(&tx, 0);
    vq_kick(&dev, &tx);
    if (!vq_wait(&tx, 1, 5000))
        test_fail(EXIT_FAIL, "the TX frame was not completed within 5 s");
    printf("virtio-net: sent %u-byte frame\n", MIN_FRAME);

    u32 deadline = vdev_now_ms() + 30000;
    for (;;) {
        u32 left = deadline > vdev_now_ms() ? deadline - vdev_now_ms() : 0;
        if (!vq_wait(&rx, 1, left))
            test_fail(EXIT_FAIL, "no frame of EtherType 0x%x arrived within 30 s", ETHERTYPE);
        volatile struct vring_used_elem *e = vq_used_elem(&rx, rx.last_used - 1);
        u16 id = (u16)e->id;
        u32 len = e->len;
        u8 *f = bufs + id * RX_BUF_SIZE + NET_HDR;
        if (id >= RX_BUFS || len < NET_HDR + 14)
            test_fail(EXIT_FAIL, "bad RX completion: id %u len %u", id, len);
        if (f[12] == (ETHERTYPE >> 8) && f[13] == (ETHERTYPE & 0xff)) {
            u32 n = len - NET_HDR;
            char text[64];
            u32 tl = 0;
            while (tl < sizeof(text) - 1 && 14 + tl < n && f[14 + tl] >= 32 && f[14 + tl] < 127) {
                text[tl] = (char)f[14 + tl];
                tl++;
            }
            text[tl] = 0;
            printf("virtio-net: received %u-byte frame from %02x:%02x:%02x:%02x:%02x:%02x: %s\n", n, f[6], f[7], f[8],
                   f[9], f[10], f[11], text);
            break;
        }
        post_rx(&rx, bufs, id); /* someone else's frame: give the buffer back */
        vq_kick(&dev, &rx);
    }
    if (dev.irqs == 0)
        test_fail(EXIT_FAIL, "frames moved but no virtio interrupt was taken");
}
