/* virtio-hostile: a driver that breaks the virtqueue rules on purpose, against the first
 * virtio-blk device. For each case the device must set DEVICE_NEEDS_RESET and raise a
 * configuration interrupt (and the VMM must keep running); after a reset the device must work
 * again. Ends with a normal read. Output: "virtio-hostile: <case> -> DEVICE_NEEDS_RESET". */
#include "virtio_blk.h"

#define BEYOND_RAM 0x7f0000000000UL

static void expect_needs_reset(struct blk *b, const char *what)
{
    if (!vdev_wait_status(&b->dev, VIRTIO_STATUS_NEEDS_RESET, 5000))
        test_fail(EXIT_FAIL, "%s: no DEVICE_NEEDS_RESET within 5 s (status 0x%x)", what,
                  vdev_read(&b->dev, VIRTIO_MMIO_STATUS));
    u32 deadline = vdev_now_ms() + 5000;
    while (!(b->dev.isr & VIRTIO_MMIO_INT_CONFIG)) {
        if (vdev_now_ms() >= deadline)
            test_fail(EXIT_FAIL, "%s: DEVICE_NEEDS_RESET without a configuration interrupt", what);
        irq_enable_and_halt();
    }
    printf("virtio-hostile: %s -> DEVICE_NEEDS_RESET\n", what);
    b->dev.isr = 0;
    vdev_reset(&b->dev);
}

/* Publishes descriptor 0 as a chain head, with whatever the caller put in the table. */
static void publish_and_kick(struct blk *b)
{
    vq_publish(&b->q, 0);
    vq_kick(&b->dev, &b->q);
}

void scenario_virtio_hostile(void)
{
    struct blk b;
    u8 *buf = page_alloc(1);
    blk_open(&b, 0);
    volatile struct vring_desc *d = b.q.desc;

    /* Header descriptor linking to a data descriptor that links back to the header. */
    d[0] = (struct vring_desc){(u64)b.hdr, 16, VRING_DESC_F_NEXT, 1};
    d[1] = (struct vring_desc){(u64)buf, 512, VRING_DESC_F_NEXT, 0};
    publish_and_kick(&b);
    expect_needs_reset(&b, "cyclic chain");

    blk_start(&b, 0);
    d = b.q.desc;
    d[0] = (struct vring_desc){(u64)b.hdr, 16, VRING_DESC_F_NEXT, 1};
    d[1] = (struct vring_desc){BEYOND_RAM, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2};
    d[2] = (struct vring_desc){(u64)b.status, 1, VRING_DESC_F_WRITE, 0};
    publish_and_kick(&b);
    expect_needs_reset(&b, "buffer outside guest memory");

    blk_start(&b, 0);
    d = b.q.desc;
    d[0] = (struct vring_desc){(u64)b.hdr, 16, VRING_DESC_F_NEXT, 200};
    publish_and_kick(&b);
    expect_needs_reset(&b, "next index beyond the queue");

    blk_start(&b, 0);
    d = b.q.desc;
    d[0] = (struct vring_desc){(u64)b.hdr, 16, VRING_DESC_F_NEXT, 1};
    d[1] = (struct vring_desc){(u64)buf, 0xfffffff0u, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2};
    d[2] = (struct vring_desc){(u64)b.status, 1, VRING_DESC_F_WRITE, 0};
    publish_and_kick(&b);
    expect_needs_reset(&b, "huge descriptor length");

    blk_start(&b, 0);
    d = b.q.desc;
    d[0] = (struct vring_desc){(u64)b.hdr, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1};
    d[1] = (struct vring_desc){(u64)b.status, 1, VRING_DESC_F_WRITE, 0};
    b.hdr->type = VIRTIO_BLK_T_IN;
    publish_and_kick(&b);
    expect_needs_reset(&b, "request header marked device-writable");

    blk_start(&b, 0);
    b.q.avail[1] = 100; /* claims 100 new entries in a 16-entry queue */
    vq_kick(&b.dev, &b.q);
    expect_needs_reset(&b, "available index far ahead");

    if (!vdev_init(&b.dev, b.mmio, 0))
        test_fail(EXIT_FAIL, "virtio-blk refused features after reset");
    vq_setup(&b.dev, &b.q, 0, 12);
    vdev_driver_ok(&b.dev);
    expect_needs_reset(&b, "queue size 12 (not a power of two)");

    blk_start(&b, 0);
    u8 s = blk_rw(&b, VIRTIO_BLK_T_IN, 0, buf, 512);
    if (s != VIRTIO_BLK_S_OK)
        test_fail(EXIT_FAIL, "read after the hostile cases failed with status %u", s);
    printf("virtio-hostile: device works again after reset\n");
}
