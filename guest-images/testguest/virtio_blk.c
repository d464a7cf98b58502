/* virtio-blk scenarios.
 *
 * virtio-blk:    writes a 4 KiB pattern to sectors 1..8 (byte j = (j * 7 + 3) & 0xff), flushes,
 *                reads it back and compares, reads the device id.
 * virtio-blk-ro: needs VIRTIO_BLK_F_RO; reads sector 0, then checks that a write is refused
 *                with VIRTIO_BLK_S_IOERR.
 * Output lines start with "virtio-blk: "; the integration tests also check the image file. */
#include "virtio_queue.h"
#include "virtio_blk.h"

#define PATTERN_SECTOR 1
#define PATTERN_BYTES 4096

static u8 blk_submit(struct blk *b, u32 type, u64 sector, void *data, u32 len, bool device_writes)
{
    b->hdr->type = type;
    b->hdr->reserved = 0;
    b->hdr->sector = sector;
    *b->status = 0xff;
    volatile struct vring_desc *d = b->q.desc;
    d[0].addr = (u64)b->hdr;
    d[0].len = sizeof(*b->hdr);
    d[0].flags = VRING_DESC_F_NEXT;
    d[0].next = len ? 1 : 2;
    if (len) {
        d[1].addr = (u64)data;
        d[1].len = len;
        d[1].flags = VRING_DESC_F_NEXT | (device_writes ? VRING_DESC_F_WRITE : 0);
        d[1].next = 2;
    }
    d[2].addr = (u64)b->status;
    d[2].len = 1;
    d[2].flags = VRING_DESC_F_WRITE;
    d[2].next = 0;
    vq_publish(&b->q, 0);
    vq_kick(&b->dev, &b->q);
    if (!vq_wait(&b->q, 1, 5000))
        test_fail(EXIT_FAIL, "virtio-blk request type %u sector %lu got no completion within 5 s", type, sector);
    return *b->status;
}

void blk_start(struct blk *b, u64 wanted)
{
    if (!vdev_init(&b->dev, b->mmio, wanted))
        test_fail(EXIT_FAIL, "virtio-blk refused features 0x%lx", b->dev.features);
    vq_setup(&b->dev, &b->q, 0, 16);
    vdev_driver_ok(&b->dev);
    if (vdev_read(&b->dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET)
        test_fail(EXIT_FAIL, "virtio-blk needs reset right after DRIVER_OK");
    b->capacity = vdev_config64(&b->dev, 0);
}

void blk_open(struct blk *b, u64 wanted)
{
    memset(b, 0, sizeof(*b));
    virtio_mmio_scan();
    b->mmio = virtio_mmio_find(VIRTIO_ID_BLOCK, 0);
    if (!b->mmio)
        test_fail(EXIT_FAIL, "no virtio-blk device on the command line (virtio_mmio.device=)");
    b->dev.base = b->mmio->base;
    b->dev.irq = b->mmio->irq;
    vdev_irq_setup(&b->dev);
    u8 *page = page_alloc(1);
    b->hdr = (struct blk_req_hdr *)page;
    b->status = page + 64;
    blk_start(b, wanted);
}

u8 blk_rw(struct blk *b, u32 type, u64 sector, void *data, u32 len)
{
    return blk_submit(b, type, sector, data, len, type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID);
}

static void print_id(struct blk *b)
{
    char *id = page_alloc(1);
    u8 s = blk_rw(b, VIRTIO_BLK_T_GET_ID, 0, id, 20);
    if (s != VIRTIO_BLK_S_OK)
        test_fail(EXIT_FAIL, "GET_ID failed with status %u", s);
    id[20] = 0;
    printf("virtio-blk: id %s\n", id);
}

void scenario_virtio_blk(void)
{
    struct blk b;
    blk_open(&b, (1UL << VIRTIO_BLK_F_FLUSH) | (1UL << VIRTIO_BLK_F_RO));
    printf("virtio-blk: capacity %lu sectors\n", b.capacity);
    if (b.dev.features & (1UL << VIRTIO_BLK_F_RO))
        test_fail(EXIT_FAIL, "the drive is read-only; virtio-blk needs a writable drive");
    if (b.capacity < PATTERN_SECTOR + PATTERN_BYTES / 512)
        test_fail(EXIT_FAIL, "the drive is too small (%lu sectors)", b.capacity);
    print_id(&b);

    u8 *out = page_alloc(1), *in = page_alloc(1);
    for (u32 j = 0; j < PATTERN_BYTES; j++)
        out[j] = (u8)(j * 7 + 3);
    u8 s = blk_rw(&b, VIRTIO_BLK_T_OUT, PATTERN_SECTOR, out, PATTERN_BYTES);
    if (s != VIRTIO_BLK_S_OK)
        test_fail(EXIT_FAIL, "write failed with status %u", s);
    bool flush = (b.dev.features & (1UL << VIRTIO_BLK_F_FLUSH)) != 0;
    if (flush && (s = blk_rw(&b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0)) != VIRTIO_BLK_S_OK)
        test_fail(EXIT_FAIL, "flush failed with status %u", s);
    s = blk_rw(&b, VIRTIO_BLK_T_IN, PATTERN_SECTOR, in, PATTERN_BYTES);
    if (s != VIRTIO_BLK_S_OK)
        test_fail(EXIT_FAIL, "read failed with status %u", s);
    for (u32 j = 0; j < PATTERN_BYTES; j++)
        if (in[j] != out[j])
            test_fail(EXIT_FAIL, "read-back mismatch at byte %u: 0x%x, wrote 0x%x", j, in[j], out[j]);
    printf("virtio-blk: wrote %u sectors at %u, %s, read back identical\n", PATTERN_BYTES / 512, PATTERN_SECTOR,
           flush ? "flushed" : "no flush offered");
    /* A completion can be seen in the used ring before its interrupt is taken (the guest only
     * takes interrupts while halted), so give a pending one a moment before calling it lost. */
    u32 deadline = vdev_now_ms() + 1000;
    while (b.dev.irqs == 0 && vdev_now_ms() < deadline)
        irq_enable_and_halt();
    if (b.dev.irqs == 0)
        test_fail(EXIT_FAIL, "completions arrived but no virtio interrupt was taken within 1 s");
    printf("virtio-blk: %u interrupts\n", b.dev.irqs);
}

void scenario_virtio_blk_ro(void)
{
    struct blk b;
    blk_open(&b, (1UL << VIRTIO_BLK_F_RO));
    printf("virtio-blk: capacity %lu sectors\n", b.capacity);
    if (!(b.dev.features & (1UL << VIRTIO_BLK_F_RO)))
        test_fail(EXIT_FAIL, "the device does not offer VIRTIO_BLK_F_RO");
    u8 *buf = page_alloc(1);
    u8 s = blk_rw(&b, VIRTIO_BLK_T_IN, 0, buf, 512);
    if (s != VIRTIO_BLK_S_OK)
        test_fail(EXIT_FAIL, "read of sector 0 failed with status %u", s);
    memset(buf, 0xA5, 512);
    s = blk_rw(&b, VIRTIO_BLK_T_OUT, 0, buf, 512);
    if (s != VIRTIO_BLK_S_IOERR)
        test_fail(EXIT_FAIL, "write to a read-only drive returned status %u, expected IOERR (1)", s);
    printf("virtio-blk: read-only drive, write refused with IOERR\n");
}
