/* virtio-mem (virtio 1.2, section 5.15) with a driver of its own, following the host's requests:
 *   1. accepts VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE, prints the config space;
 *   2. prints "EMBER-TEST: READY virtio-mem" and waits for a byte of serial input: 'p' means
 *      "reach requested_size", anything else ends the scenario;
 *   3. plugs (from the bottom) or unplugs (from the top) blocks until plugged_size is
 *      requested_size, one request per 64 blocks; every newly plugged page is written (its
 *      address as a u64) and read back, so the host commits the memory; prints the sizes;
 *   4. after an unplug that emptied a slot, stores a marker in it and reads it back: a slot
 *      still in the guest's memory keeps it, an absent one reads 0 (the store went to the MMIO
 *      bus, where nothing answers) — printed as "slot 1 absent" or "slot 1 present";
 *   'v' checks that every plugged page still holds its address: "virtio-mem: verified <n> MiB";
 *   then back to 2. Bad requests the host must refuse are sent once at the start (a misaligned
 *   PLUG, a PLUG before anything is requested: ERROR, NACK) and an unknown type (ERROR).
 * Output lines start with "virtio-mem: ". */
#include "virtio_queue.h"

#define QSIZE 8
#define VIRTIO_ID_MEM 24
#define F_UNPLUGGED_INACCESSIBLE 1
#define REQ_PLUG 0
#define REQ_UNPLUG 1
#define REQ_UNPLUG_ALL 2
#define REQ_STATE 3
#define CFG_BLOCK_SIZE 0
#define CFG_ADDR 16
#define CFG_REGION_SIZE 24
#define CFG_USABLE 32
#define CFG_PLUGGED 40
#define CFG_REQUESTED 48
#define BATCH 64

struct mem {
    struct vdev dev;
    struct vq q;
    volatile u8 *req;  /* struct virtio_mem_req: u16 type, pad, u64 addr, u16 nb_blocks, pad */
    volatile u8 *resp; /* struct virtio_mem_resp: u16 type, pad, u16 state */
    u64 block, addr, region;
};

/* One request: returns the response type (the state is at resp + 8). */
static u16 request(struct mem *m, u16 type, u64 addr, u16 nb)
{
    memset((void *)m->req, 0, 24);
    *(volatile u16 *)m->req = type;
    *(volatile u64 *)(m->req + 8) = addr;
    *(volatile u16 *)(m->req + 16) = nb;
    memset((void *)m->resp, 0x5a, 16);
    m->q.desc[0] = (struct vring_desc){(u64)m->req, 24, VRING_DESC_F_NEXT, 1};
    m->q.desc[1] = (struct vring_desc){(u64)m->resp, 10, VRING_DESC_F_WRITE, 0};
    volatile struct vring_used_elem *e = vq_request(&m->dev, &m->q, "a virtio-mem request");
    if (e->len != 10)
        test_fail(EXIT_FAIL, "virtio-mem answered with used length %u, expected 10", e->len);
    return *(volatile u16 *)m->resp;
}

static u64 cfg(struct mem *m, unsigned off)
{
    return vdev_config64(&m->dev, off);
}

/* Writes each page's address into it and reads it back. */
static void touch(u64 start, u64 len)
{
    for (u64 a = start; a < start + len; a += PAGE_SIZE)
        *(volatile u64 *)a = a;
    for (u64 a = start; a < start + len; a += PAGE_SIZE)
        if (*(volatile u64 *)a != a)
            test_fail(EXIT_FAIL, "plugged memory at 0x%lx did not keep what was written", a);
}

/* Every plugged page still holds its address (after a snapshot was loaded, say). */
static void verify(struct mem *m)
{
    u64 plugged = cfg(m, CFG_PLUGGED);
    for (u64 a = m->addr; a < m->addr + plugged; a += PAGE_SIZE)
        if (*(volatile u64 *)a != a)
            test_fail(EXIT_FAIL, "plugged memory at 0x%lx holds 0x%lx, not its address", a, *(volatile u64 *)a);
    printf("virtio-mem: verified %lu MiB\n", plugged >> 20);
}

static void reach_requested(struct mem *m)
{
    u64 requested = cfg(m, CFG_REQUESTED), plugged = cfg(m, CFG_PLUGGED);
    while (plugged < requested) {
        u64 at = m->addr + plugged; /* plugged from the bottom up: the next block is here */
        u64 nb = (requested - plugged) / m->block;
        if (nb > BATCH)
            nb = BATCH;
        u16 r = request(m, REQ_PLUG, at, (u16)nb);
        if (r != 0)
            test_fail(EXIT_FAIL, "PLUG of %lu blocks at 0x%lx answered %u", nb, at, r);
        touch(at, nb * m->block);
        plugged = cfg(m, CFG_PLUGGED);
    }
    bool emptied_slot1 = false;
    while (plugged > requested) {
        u64 nb = (plugged - requested) / m->block;
        if (nb > BATCH)
            nb = BATCH;
        u64 at = m->addr + plugged - nb * m->block;
        u16 r = request(m, REQ_UNPLUG, at, (u16)nb);
        if (r != 0)
            test_fail(EXIT_FAIL, "UNPLUG of %lu blocks at 0x%lx answered %u", nb, at, r);
        plugged = cfg(m, CFG_PLUGGED);
        emptied_slot1 = true;
    }
    printf("virtio-mem: requested %lu MiB, plugged %lu MiB, usable %lu MiB\n", requested >> 20, plugged >> 20,
           cfg(m, CFG_USABLE) >> 20);
    u64 slot = 128UL << 20;
    if (emptied_slot1 && m->region >= 2 * slot && plugged <= slot) {
        volatile u64 *p = (volatile u64 *)(m->addr + slot + 0x1000);
        *p = 0x454d424552UL; /* "EMBER" */
        printf("virtio-mem: slot 1 %s\n", *p == 0x454d424552UL ? "present" : "absent");
    }
}

void scenario_virtio_mem(void)
{
    struct mem m;
    memset(&m, 0, sizeof(m));
    vdev_open(&m.dev, VIRTIO_ID_MEM, "virtio-mem", 1UL << F_UNPLUGGED_INACCESSIBLE);
    vq_setup(&m.dev, &m.q, 0, QSIZE);
    vdev_driver_ok(&m.dev);
    u8 *page = page_alloc(1);
    m.req = page;
    m.resp = page + 64;
    m.block = cfg(&m, CFG_BLOCK_SIZE);
    m.addr = cfg(&m, CFG_ADDR);
    m.region = cfg(&m, CFG_REGION_SIZE);
    printf("virtio-mem: block %lu MiB, addr 0x%lx, region %lu MiB, usable %lu MiB, plugged %lu MiB, requested %lu MiB\n",
           m.block >> 20, m.addr, m.region >> 20, cfg(&m, CFG_USABLE) >> 20, cfg(&m, CFG_PLUGGED) >> 20,
           cfg(&m, CFG_REQUESTED) >> 20);
    if (m.addr < 0x100000000UL || m.addr + m.region > 0x200000000UL)
        test_fail(EXIT_FAIL, "the region is not between 4 and 8 GiB (the guest maps only that)");
    if (vdev_read(&m.dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET)
        test_fail(EXIT_FAIL, "the device refused the driver");

    u16 misaligned = request(&m, REQ_PLUG, m.addr + PAGE_SIZE, 1);
    u16 unrequested = request(&m, REQ_STATE, m.addr, 1);
    u16 unknown = request(&m, 9, m.addr, 1);
    printf("virtio-mem: misaligned PLUG %u, STATE outside the usable region %u, type 9 %u\n", misaligned, unrequested,
           unknown);

    serial_input_start();
    for (;;) {
        printf("EMBER-TEST: READY virtio-mem\n");
        u8 c = serial_wait_getc();
        if (c == 'p') {
            reach_requested(&m);
        } else if (c == 'v') {
            verify(&m);
        } else {
            break;
        }
    }
    u16 r = request(&m, REQ_UNPLUG_ALL, 0, 0);
    printf("virtio-mem: UNPLUG_ALL %u, plugged %lu MiB\n", r, cfg(&m, CFG_PLUGGED) >> 20);
}
