/* A minimal virtio 1.x split-virtqueue driver core for the test guest's virtio scenarios:
 * device initialisation over virtio-mmio, queue set-up, submit and wait. Polling with
 * interrupts: the device's IRQ (through the IOAPIC) and a 10 ms LAPIC tick both wake the
 * waiting CPU, so a lost interrupt shows up as a timeout instead of a hang. */
#ifndef EMBER_VIRTIO_QUEUE_H
#define EMBER_VIRTIO_QUEUE_H

#include "guest.h"
#include "virtio_mmio.h"

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4

struct vring_desc {
    u64 addr;
    u32 len;
    u16 flags;
    u16 next;
};

struct vring_used_elem {
    u32 id;
    u32 len;
};

struct vq {
    unsigned index;
    u16 size;
    u16 last_used;                   /* used entries the driver has consumed */
    volatile struct vring_desc *desc;
    volatile u16 *avail;             /* flags, idx, ring[size], used_event */
    volatile u16 *used;              /* flags, idx, then {id u32, len u32}[size] */
};

struct vdev {
    u64 base;
    u32 irq;
    u64 features;                    /* what was negotiated */
    volatile u32 isr;                /* InterruptStatus bits the handler has seen (accumulated) */
    volatile u32 irqs;               /* interrupts taken for this device */
};

static inline u16 vq_avail_idx(struct vq *q) { return q->avail[1]; }
static inline u16 vq_used_idx(struct vq *q) { return q->used[1]; }
static inline volatile struct vring_used_elem *vq_used_elem(struct vq *q, u16 i)
{
    return (volatile struct vring_used_elem *)(q->used + 2) + (i % q->size);
}

u32 vdev_read(struct vdev *d, unsigned reg);
void vdev_write(struct vdev *d, unsigned reg, u32 v);
/* Routes the device's IRQ and starts the 10 ms timeout tick; once per scenario. */
void vdev_irq_setup(struct vdev *d);
/* Only the 10 ms tick vq_wait's timeout counts (a driver whose interrupts are MSI-X). */
void vdev_tick_setup(void);
/* Reset, ACKNOWLEDGE, DRIVER, accept (offered & wanted) | VERSION_1, FEATURES_OK.
 * Returns false if the device refused the features. */
bool vdev_init(struct vdev *d, const struct virtio_mmio_dev *m, u64 wanted);
u64 vdev_offered(struct vdev *d);
void vdev_reset(struct vdev *d);
/* Allocates rings for `size` entries (any value: hostile scenarios pass bad ones) and makes
 * queue `index` ready at those addresses. */
void vq_setup(struct vdev *d, struct vq *q, unsigned index, u16 size);
void vdev_driver_ok(struct vdev *d);
/* Finds the first device of type `device_id` on the command line, routes its IRQ and runs
 * vdev_init with `wanted`; the scenario fails naming `name` when there is none or it refuses. */
const struct virtio_mmio_dev *vdev_open(struct vdev *d, u32 device_id, const char *name, u64 wanted);
/* Puts descriptor chain `head` in the available ring; vq_kick notifies the device. */
void vq_publish(struct vq *q, u16 head);
void vq_kick(struct vdev *d, struct vq *q);
/* Waits until the used index has advanced `n` past last_used (then moves last_used);
 * false after timeout_ms. */
bool vq_wait(struct vq *q, u16 n, unsigned timeout_ms);
/* One request in chain 0: publish, kick, wait up to 10 s (else the scenario fails naming
 * `what`); returns its used-ring entry. */
volatile struct vring_used_elem *vq_request(struct vdev *d, struct vq *q, const char *what);
/* Waits until the Status register has all of `bits`; false after timeout_ms. */
bool vdev_wait_status(struct vdev *d, u32 bits, unsigned timeout_ms);
u8 vdev_config8(struct vdev *d, unsigned off);
u32 vdev_config32(struct vdev *d, unsigned off);
u64 vdev_config64(struct vdev *d, unsigned off);
/* Milliseconds elapsed since vdev_irq_setup (10 ms resolution). */
u32 vdev_now_ms(void);

#endif
