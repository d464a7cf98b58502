/* virtio-rng (virtio 1.2, section 5.4) on the first entropy device:
 *   1. a 64-byte request, then one chain of two buffers (100 + 3000 bytes): each completes with
 *      its whole length, the bytes look random (few zeros) and two requests differ;
 *   2. a request with a device-readable buffer completes with 0 bytes and the device goes on;
 *   3. eight 512-byte requests at once: counts how many complete before the device has been
 *      quiet for 1.5 s, so the host can check its rate limiter by the amount served.
 * Output lines start with "virtio-rng: ". */
#include "virtio_queue.h"

#define QSIZE 8
#define BURST 8
#define BURST_BYTES 512
#define QUIET_MS 1500

struct rng {
    struct vdev dev;
    struct vq q;
    u8 *buf; /* 4 pages */
};

static unsigned zeros(const u8 *p, unsigned n)
{
    unsigned z = 0;
    for (unsigned i = 0; i < n; i++)
        z += p[i] == 0;
    return z;
}

static u32 request(struct rng *r, u16 nbufs, const u32 *lens, u16 flags)
{
    u32 off = 0;
    for (u16 i = 0; i < nbufs; i++) {
        r->q.desc[i] = (struct vring_desc){(u64)(r->buf + off), lens[i], flags | (i + 1 < nbufs ? VRING_DESC_F_NEXT : 0), i + 1};
        off += lens[i];
    }
    volatile struct vring_used_elem *e = vq_request(&r->dev, &r->q, "an entropy request");
    if (e->id != 0)
        test_fail(EXIT_FAIL, "completion for descriptor %u, expected 0", e->id);
    return e->len;
}

void scenario_virtio_rng(void)
{
    struct rng r;
    memset(&r, 0, sizeof(r));
    vdev_open(&r.dev, VIRTIO_ID_RNG, "virtio-rng", 0);
    vq_setup(&r.dev, &r.q, 0, QSIZE);
    vdev_driver_ok(&r.dev);
    r.buf = page_alloc(4);

    u32 one[1] = {64};
    u32 got = request(&r, 1, one, VRING_DESC_F_WRITE);
    if (got != 64 || zeros(r.buf, 64) > 8)
        test_fail(EXIT_FAIL, "64-byte request: %u bytes, %u zeros", got, zeros(r.buf, 64));
    u8 first[64];
    memcpy(first, r.buf, 64);
    u32 two[2] = {100, 3000};
    memset(r.buf, 0, 3100);
    got = request(&r, 2, two, VRING_DESC_F_WRITE);
    if (got != 3100 || zeros(r.buf, 3100) > 60)
        test_fail(EXIT_FAIL, "100+3000-byte chain: %u bytes, %u zeros", got, zeros(r.buf, 3100));
    if (!memcmp(first, r.buf, 64))
        test_fail(EXIT_FAIL, "two requests got the same bytes");
    printf("virtio-rng: 64 and 100+3000 random bytes\n");

    memset(r.buf, 0x77, 32);
    u32 ro[1] = {32};
    got = request(&r, 1, ro, 0);
    if (got != 0 || r.buf[5] != 0x77)
        test_fail(EXIT_FAIL, "a device-readable request got %u bytes", got);
    if (vdev_read(&r.dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET)
        test_fail(EXIT_FAIL, "device needs reset after a device-readable request");
    printf("virtio-rng: a device-readable request is answered with 0 bytes\n");

    for (u16 i = 0; i < BURST; i++) {
        r.q.desc[i] = (struct vring_desc){(u64)(r.buf + i * BURST_BYTES), BURST_BYTES, VRING_DESC_F_WRITE, 0};
        vq_publish(&r.q, i);
    }
    vq_kick(&r.dev, &r.q);
    unsigned served = 0;
    while (served < BURST && vq_wait(&r.q, 1, QUIET_MS))
        served++;
    printf("virtio-rng: %u of %u requests of %u bytes served, %u interrupts taken\n", served, BURST, BURST_BYTES, r.dev.irqs);
}
