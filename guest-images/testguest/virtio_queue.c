/* The virtio driver core shared by the virtio-* scenarios (see virtio_queue.h). */
#include "virtio_queue.h"

#define TICK_US 10000

static struct vdev *irq_dev;
static volatile u32 ticks;

u32 vdev_read(struct vdev *d, unsigned reg) { return mmio_read32(d->base + reg); }
void vdev_write(struct vdev *d, unsigned reg, u32 v) { mmio_write32(d->base + reg, v); }

static void vdev_irq(struct irq_frame *f)
{
    (void)f;
    struct vdev *d = irq_dev;
    if (!d)
        return;
    u32 s = vdev_read(d, VIRTIO_MMIO_INTERRUPT_STATUS);
    vdev_write(d, VIRTIO_MMIO_INTERRUPT_ACK, s);
    d->isr |= s;
    d->irqs++;
}

static void tick(struct irq_frame *f)
{
    (void)f;
    ticks++;
}

u32 vdev_now_ms(void) { return ticks * (TICK_US / 1000); }

void vdev_tick_setup(void)
{
    lapic_enable();
    irq_set_handler(VEC_LAPIC_TIMER, tick);
    lapic_timer_periodic(TICK_US);
}

void vdev_irq_setup(struct vdev *d)
{
    irq_dev = d;
    vdev_tick_setup();
    ioapic_route(d->irq, vdev_irq);
}

/* Virtio 1.2, 2.4.2: after writing 0 the driver waits for Status to read 0 before reusing the
 * device; Ember completes the reset on its event loop and reads DEVICE_NEEDS_RESET meanwhile. */
#define RESET_POLL_READS 10000000u

void vdev_reset(struct vdev *d)
{
    vdev_write(d, VIRTIO_MMIO_STATUS, 0);
    for (u32 i = 0; vdev_read(d, VIRTIO_MMIO_STATUS) != 0; i++) {
        if (i == RESET_POLL_READS)
            test_fail(EXIT_FAIL, "device at 0x%lx did not reset (status still 0x%x after %u reads)", d->base,
                      vdev_read(d, VIRTIO_MMIO_STATUS), RESET_POLL_READS);
        cpu_relax();
    }
}

u64 vdev_offered(struct vdev *d)
{
    vdev_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    u64 lo = vdev_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
    vdev_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    u64 hi = vdev_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
    return lo | (hi << 32);
}

bool vdev_init(struct vdev *d, const struct virtio_mmio_dev *m, u64 wanted)
{
    d->base = m->base;
    d->irq = m->irq;
    if (m->version != 2)
        test_fail(EXIT_FAIL, "virtio-mmio at 0x%lx is version %u, the driver needs 2", m->base, m->version);
    vdev_reset(d);
    vdev_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    vdev_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    d->features = (vdev_offered(d) & wanted) | (1UL << VIRTIO_F_VERSION_1);
    vdev_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    vdev_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (u32)d->features);
    vdev_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    vdev_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (u32)(d->features >> 32));
    vdev_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    return (vdev_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK) != 0;
}

void vq_setup(struct vdev *d, struct vq *q, unsigned index, u16 size)
{
    /* One page each for desc (16 * size), avail (6 + 2 * size) and used (6 + 8 * size): size <= 256. */
    u8 *mem = page_alloc(3);
    q->index = index;
    q->size = size;
    q->last_used = 0;
    q->desc = (volatile struct vring_desc *)mem;
    q->avail = (volatile u16 *)(mem + PAGE_SIZE);
    q->used = (volatile u16 *)(mem + 2 * PAGE_SIZE);
    vdev_write(d, VIRTIO_MMIO_QUEUE_SEL, index);
    u32 max = vdev_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (max == 0)
        test_fail(EXIT_FAIL, "device at 0x%lx has no queue %u", d->base, index);
    vdev_write(d, VIRTIO_MMIO_QUEUE_NUM, size);
    vdev_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (u32)(u64)q->desc);
    vdev_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (u32)((u64)q->desc >> 32));
    vdev_write(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (u32)(u64)q->avail);
    vdev_write(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (u32)((u64)q->avail >> 32));
    vdev_write(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (u32)(u64)q->used);
    vdev_write(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (u32)((u64)q->used >> 32));
    vdev_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

void vdev_driver_ok(struct vdev *d)
{
    vdev_write(d, VIRTIO_MMIO_STATUS, vdev_read(d, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
}

void vq_publish(struct vq *q, u16 head)
{
    u16 idx = q->avail[1];
    q->avail[2 + (idx % q->size)] = head;
    barrier(); /* the ring entry before the index that publishes it (x86 keeps stores ordered) */
    q->avail[1] = idx + 1;
}

void vq_kick(struct vdev *d, struct vq *q)
{
    barrier();
    vdev_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
}

bool vq_wait(struct vq *q, u16 n, unsigned timeout_ms)
{
    u16 target = q->last_used + n;
    u32 deadline = vdev_now_ms() + timeout_ms;
    while ((u16)(vq_used_idx(q) - target) > 0x8000) { /* used idx before target (mod 2^16) */
        if (vdev_now_ms() >= deadline)
            return false;
        irq_enable_and_halt();
    }
    q->last_used = target;
    return true;
}

bool vdev_wait_status(struct vdev *d, u32 bits, unsigned timeout_ms)
{
    u32 deadline = vdev_now_ms() + timeout_ms;
    while ((vdev_read(d, VIRTIO_MMIO_STATUS) & bits) != bits) {
        if (vdev_now_ms() >= deadline)
            return false;
        irq_enable_and_halt();
    }
    return true;
}

u8 vdev_config8(struct vdev *d, unsigned off) { return mmio_read8(d->base + VIRTIO_MMIO_CONFIG + off); }
u32 vdev_config32(struct vdev *d, unsigned off) { return mmio_read32(d->base + VIRTIO_MMIO_CONFIG + off); }

u64 vdev_config64(struct vdev *d, unsigned off)
{
    /* Two 32-bit reads, repeated until ConfigGeneration is stable (4.2.2.2). */
    u32 gen, lo, hi;
    do {
        gen = vdev_read(d, VIRTIO_MMIO_CONFIG_GENERATION);
        lo = vdev_config32(d, off);
        hi = vdev_config32(d, off + 4);
    } while (gen != vdev_read(d, VIRTIO_MMIO_CONFIG_GENERATION));
    return lo | ((u64)hi << 32);
}

const struct virtio_mmio_dev *vdev_open(struct vdev *d, u32 device_id, const char *name, u64 wanted)
{
    virtio_mmio_scan();
    struct virtio_mmio_dev *m = virtio_mmio_find(device_id, 0);
    if (!m)
        test_fail(EXIT_FAIL, "no %s device on the command line (virtio_mmio.device=)", name);
    d->base = m->base;
    d->irq = m->irq;
    vdev_irq_setup(d);
    if (!vdev_init(d, m, wanted))
        test_fail(EXIT_FAIL, "%s refused features 0x%lx", name, d->features);
    return m;
}

volatile struct vring_used_elem *vq_request(struct vdev *d, struct vq *q, const char *what)
{
    vq_publish(q, 0);
    vq_kick(d, q);
    if (!vq_wait(q, 1, 10000))
        test_fail(EXIT_FAIL, "%s was not completed within 10 s", what);
    return vq_used_elem(q, q->last_used - 1);
}
