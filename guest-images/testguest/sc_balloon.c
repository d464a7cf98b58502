/* virtio-balloon (virtio 1.2, section 5.5) on the first balloon device, as a driver that obeys
 * the host's target:
 *   1. reads num_pages (the configured amount_mib in 4 KiB pages), takes that many pages and
 *      writes one byte in each, so the host backs them; prints a line and waits for a byte on
 *      the serial input (the host measures its memory now);
 *   2. inflates them (256 page numbers per buffer), writes actual, prints, waits for a byte;
 *   3. deflates them, writes actual = 0, and checks every page reads as zero: the host gave
 *      the pages back to the kernel, so the guest's bytes are gone.
 * Output lines start with "virtio-balloon: ". */
#include "virtio_queue.h"

#define PFNS_PER_BUF 256
#define QSIZE 8

struct balloon {
    struct vdev dev;
    struct vq inflate, deflate;
    u32 *pfns;
};

static void send_pfns(struct balloon *b, struct vq *q, u8 *pages, u32 n)
{
    for (u32 done = 0; done < n;) {
        u32 k = n - done < PFNS_PER_BUF ? n - done : PFNS_PER_BUF;
        for (u32 i = 0; i < k; i++)
            b->pfns[i] = (u32)(((u64)pages >> 12) + done + i);
        q->desc[0] = (struct vring_desc){(u64)b->pfns, k * 4, 0, 0};
        vq_publish(q, 0);
        vq_kick(&b->dev, q);
        if (!vq_wait(q, 1, 10000))
            test_fail(EXIT_FAIL, "a balloon buffer of %u page numbers was not used within 10 s", k);
        done += k;
    }
}

void scenario_virtio_balloon(void)
{
    struct balloon b;
    memset(&b, 0, sizeof(b));
    vdev_open(&b.dev, VIRTIO_ID_BALLOON, "virtio-balloon", 0); /* no statistics, hinting or reporting: two queues */
    vq_setup(&b.dev, &b.inflate, 0, QSIZE);
    vq_setup(&b.dev, &b.deflate, 1, QSIZE);
    vdev_driver_ok(&b.dev);
    b.pfns = page_alloc(1);
    serial_input_start();

    u32 target = vdev_config32(&b.dev, 0);
    if (target == 0 || target > 16384)
        test_fail(EXIT_FAIL, "num_pages %u: configure amount_mib 1..64", target);
    u8 *pages = page_alloc_uninit(target);
    for (u32 i = 0; i < target; i++)
        pages[(u64)i * PAGE_SIZE] = (u8)(i | 1);
    printf("virtio-balloon: target %u pages, %u pages touched\n", target, target);
    serial_wait_byte();

    send_pfns(&b, &b.inflate, pages, target);
    vdev_write(&b.dev, VIRTIO_MMIO_CONFIG + 4, target);
    printf("virtio-balloon: inflated %u pages, actual %u\n", target, vdev_config32(&b.dev, 4));
    serial_wait_byte();

    send_pfns(&b, &b.deflate, pages, target);
    vdev_write(&b.dev, VIRTIO_MMIO_CONFIG + 4, 0);
    u32 nonzero = 0;
    for (u32 i = 0; i < target; i++)
        nonzero += pages[(u64)i * PAGE_SIZE] != 0;
    printf("virtio-balloon: deflated %u pages, %u still hold the guest's bytes\n", target, nonzero);
    if (nonzero)
        test_fail(EXIT_FAIL, "inflated pages kept their contents: the host did not take them");
}
