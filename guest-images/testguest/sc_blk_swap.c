/* virtio-blk-swap: the drive's backing file is replaced after boot (PATCH /drives with a new
 * path_on_host). The guest reads the first file's capacity and sector 0, prints
 * "EMBER-TEST: READY virtio-blk-swap", waits up to 60 s for the configuration-change interrupt,
 * then reads the new capacity and every sector of the new file in requests of up to 4 KiB:
 *   virtio-blk-swap: before: capacity <n> sectors, sector 0 starts <8 bytes in hex>
 *   virtio-blk-swap: config change interrupt, generation <g0> -> <g1>
 *   virtio-blk-swap: after: capacity <n> sectors, sector 0 starts <hex>, last sector starts <hex>
 *   virtio-blk-swap: read <n> sectors in <k> requests, byte sum <s> */
#include "virtio_blk.h"

#define CHUNK_SECTORS 8

static void read_sectors(struct blk *b, u64 sector, u8 *buf, u32 count)
{
    u8 s = blk_rw(b, VIRTIO_BLK_T_IN, sector, buf, count * 512);
    if (s != VIRTIO_BLK_S_OK)
        test_fail(EXIT_FAIL, "read of %u sectors at %lu failed with status %u", count, sector, s);
}

static void print_start(const char *what, const u8 *p)
{
    printf("%s %02x%02x%02x%02x%02x%02x%02x%02x", what, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
}

void scenario_virtio_blk_swap(void)
{
    struct blk b;
    blk_open(&b, 1UL << VIRTIO_BLK_F_RO);
    u8 *buf = page_alloc(1);
    if (b.capacity == 0)
        test_fail(EXIT_FAIL, "the first drive is empty; it needs at least one sector");
    read_sectors(&b, 0, buf, 1);
    printf("virtio-blk-swap: before: capacity %lu sectors,", b.capacity);
    print_start(" sector 0 starts", buf);
    printf("\n");

    u32 gen = vdev_read(&b.dev, VIRTIO_MMIO_CONFIG_GENERATION);
    b.dev.isr = 0;
    printf("EMBER-TEST: READY virtio-blk-swap\n");
    u32 deadline = vdev_now_ms() + 60000;
    while (!(b.dev.isr & VIRTIO_MMIO_INT_CONFIG)) {
        if (vdev_now_ms() >= deadline)
            test_fail(EXIT_FAIL, "no configuration-change interrupt within 60 s (generation %u -> %u)", gen,
                      vdev_read(&b.dev, VIRTIO_MMIO_CONFIG_GENERATION));
        irq_enable_and_halt();
    }
    u32 gen2 = vdev_read(&b.dev, VIRTIO_MMIO_CONFIG_GENERATION);
    if (gen2 == gen)
        test_fail(EXIT_FAIL, "configuration-change interrupt but the generation is still %u", gen);
    printf("virtio-blk-swap: config change interrupt, generation %u -> %u\n", gen, gen2);

    u64 cap = vdev_config64(&b.dev, 0);
    if (cap == 0)
        test_fail(EXIT_FAIL, "the new drive is empty");
    read_sectors(&b, 0, buf, 1);
    printf("virtio-blk-swap: after: capacity %lu sectors,", cap);
    print_start(" sector 0 starts", buf);
    read_sectors(&b, cap - 1, buf, 1);
    print_start(", last sector starts", buf);
    printf("\n");

    u64 sum = 0;
    u32 requests = 0;
    for (u64 s = 0; s < cap; s += CHUNK_SECTORS) {
        u32 n = cap - s < CHUNK_SECTORS ? (u32)(cap - s) : CHUNK_SECTORS;
        read_sectors(&b, s, buf, n);
        for (u32 j = 0; j < n * 512; j++)
            sum += buf[j];
        requests++;
    }
    printf("virtio-blk-swap: read %lu sectors in %u requests, byte sum %lu\n", cap, requests, sum);
}
