/* Device throughput scenarios for bench/run: blk-bench and net-bench.
 *
 * The guest only moves data and marks phases on the serial console; the host times them.
 * Every phase is bracketed by
 *   BENCH-START <phase>
 *   BENCH-END <phase>
 * and followed by one result line `bench: <phase> ...` with what the guest counted (requests,
 * bytes, notifies sent, interrupts taken). The guest reports no time of its own (its 10 ms LAPIC
 * tick is not a trustworthy clock under PVM or TCG). The host takes the phase time from the arrival of the START line's newline to
 * the arrival of the END line's first byte, so printing either line is not inside the phase.
 *
 * Requests are kept in flight `ember.bench.qd=` deep (default 8, at most 64): the driver submits
 * qd requests with one notify, then on each wake-up harvests every completion, resubmits as
 * many and notifies once. Guest work per request is a few dozen instructions plus the data
 * check; on PVM every guest instruction is emulated (~1 us), which the host-side figures include.
 *
 * blk-bench (needs a writable drive, capacity a multiple of 4 KiB, at least 1 MiB):
 *   calib       no I/O: a 100,000-iteration dec/jnz loop, the guest's instruction speed
 *   seq-write   the whole drive in `ember.bench.seqkib=` (default 1024) KiB requests; every
 *               4 KiB block starts with its stamp: u64 block number, u32 0x424d4245 ("EMBB"),
 *               u32 generation 1 (the rest of the block is left as the buffer was)
 *   seq-read    the whole drive again; the first and last block stamp of each request checked
 *   rand-read   `ember.bench.ios=` (default 2000) 4 KiB reads at pseudo-random blocks, stamps checked
 *   rand-write  as many 4 KiB writes at pseudo-random blocks, stamp generation 2
 * so after a pass every block of the image holds its stamp with generation 1 or 2: the host
 * checks the whole image file afterwards (the guest checks only a sample, to keep its per-request
 * work small).
 *
 * net-bench (needs a network interface with guest_mac):
 *   net-tx      `ember.bench.frames=` (default 2000) 1514-byte frames (broadcast, EtherType
 *               0x88B5, payload starts with the u32 frame number, little endian)
 *   net-rx      prints `BENCH-READY net-rx` once receive buffers are posted, then counts frames
 *               of EtherType 0x88B5 until the one numbered frames-1 arrives; prints how many
 *               arrived and how many numbers were skipped (lost). Frames of other types are
 *               dropped silently. */
#include "virtio_queue.h"
#include "virtio_blk.h"

#define MAX_QD 64
#define QUEUE_SIZE 256
#define BLOCK 4096
#define STAMP_MAGIC 0x424d4245u
#define WAIT_MS 10000

static u32 arg_u32(const char *key, u32 dflt, u32 min, u32 max)
{
    char buf[24];
    if (!cmdline_get(key, buf, sizeof(buf)) || !buf[0])
        return dflt;
    const char *end;
    u64 v = parse_u64(buf, &end);
    if (*end || v < min || v > max)
        test_fail(EXIT_FAIL, "%s=%s: expected a number from %u to %u", key, buf, min, max);
    return (u32)v;
}

/* Sleeps until the used ring moves past last_used; false after WAIT_MS without progress. */
static bool wait_used(struct vq *q)
{
    u32 deadline = vdev_now_ms() + WAIT_MS;
    while (vq_used_idx(q) == q->last_used) {
        if (vdev_now_ms() >= deadline)
            return false;
        irq_enable_and_halt();
    }
    return true;
}

static void phase_start(const char *name)
{
    printf("BENCH-START %s\n", name);
}

static void phase_end(const char *name)
{
    printf("BENCH-END %s\n", name);
}

/* The emulation speed the phases ran at: a 100,000-iteration dec/jnz loop (two instructions
 * per iteration), timed by the host like any phase. Under hardware KVM it takes ~0.1 ms; under
 * PVM's emulation about 0.1 s, which is what the device phases' guest side is made of. */
#define CALIB_ITERATIONS 100000

static void calibrate(void)
{
    u64 n = CALIB_ITERATIONS;
    phase_start("calib");
    __asm__ volatile("1: dec %0; jnz 1b" : "+r"(n));
    phase_end("calib");
    printf("bench: calib %u iterations 0 bytes (dec, jnz)\n", CALIB_ITERATIONS);
}

/* ---- block ---------------------------------------------------------------------------- */

struct blk_slot {
    struct blk_req_hdr *hdr;
    volatile u8 *status;
    u8 *data;
    u64 block;   /* first 4 KiB block of the request in flight */
    u32 len;
};

static struct blk_slot slots[MAX_QD];
static u64 xs_state = 0x9e3779b97f4a7c15ull;

static u64 next_random(void)
{
    u64 x = xs_state; /* xorshift64 */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return xs_state = x;
}

/* Magic and generation of every block stamp in a write buffer: once per phase. */
static void stamp_prepare(u8 *data, u32 len, u32 generation)
{
    for (u32 off = 0; off < len; off += BLOCK) {
        *(u32 *)(data + off + 8) = STAMP_MAGIC;
        *(u32 *)(data + off + 12) = generation;
    }
}

/* Block numbers, per request: one store per 4 KiB. */
static void stamp(u8 *data, u64 block, u32 len)
{
    for (u32 off = 0; off < len; off += BLOCK, block++)
        *(u64 *)(data + off) = block;
}

static void check_stamp(const u8 *data, u64 block, const char *phase)
{
    u64 b = *(const u64 *)data;
    u32 magic = *(const u32 *)(data + 8), gen = *(const u32 *)(data + 12);
    if (b != block || magic != STAMP_MAGIC || gen < 1 || gen > 2)
        test_fail(EXIT_FAIL, "%s: block %lu holds stamp block %lu magic 0x%x generation %u", phase, block, b, magic,
                  gen);
}

enum blk_phase { SEQ_WRITE, SEQ_READ, RAND_READ, RAND_WRITE };
static const char *const blk_phase_names[] = {"seq-write", "seq-read", "rand-read", "rand-write"};

/* Fills slot s with request number n of the phase and publishes it. */
static void blk_prepare(struct blk *b, enum blk_phase p, u32 s, u64 n, u32 seq_bytes, u64 blocks)
{
    struct blk_slot *sl = &slots[s];
    bool write = p == SEQ_WRITE || p == RAND_WRITE;
    if (p == SEQ_WRITE || p == SEQ_READ) {
        u64 per = seq_bytes / BLOCK;
        sl->block = n * per;
        sl->len = (u32)((blocks - sl->block < per ? blocks - sl->block : per) * BLOCK);
    } else {
        sl->block = next_random() % blocks;
        sl->len = BLOCK;
    }
    if (write)
        stamp(sl->data, sl->block, sl->len);
    sl->hdr->type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
    sl->hdr->sector = sl->block * (BLOCK / 512);
    *sl->status = 0xff;
    volatile struct vring_desc *d = &b->q.desc[3 * s + 1];
    d->len = sl->len;
    d->flags = VRING_DESC_F_NEXT | (write ? 0 : VRING_DESC_F_WRITE);
    vq_publish(&b->q, (u16)(3 * s));
}

static void blk_phase(struct blk *b, enum blk_phase p, u32 qd, u32 seq_bytes, u64 blocks, u32 ios)
{
    const char *name = blk_phase_names[p];
    bool seq = p == SEQ_WRITE || p == SEQ_READ;
    u64 total = seq ? (blocks * BLOCK + seq_bytes - 1) / seq_bytes : ios;
    u64 bytes = 0, submitted = 0, done = 0;
    u32 irqs0 = b->dev.irqs, kicks = 1;
    if (p == SEQ_WRITE || p == RAND_WRITE)
        for (u32 s = 0; s < qd; s++)
            stamp_prepare(slots[s].data, seq ? seq_bytes : BLOCK, p == SEQ_WRITE ? 1 : 2);
    phase_start(name);
    for (u32 s = 0; s < qd && submitted < total; s++)
        blk_prepare(b, p, s, submitted++, seq_bytes, blocks);
    vq_kick(&b->dev, &b->q);
    while (done < total) {
        if (!wait_used(&b->q))
            test_fail(EXIT_FAIL, "%s: no completion within %u ms (%lu of %lu done)", name, WAIT_MS, done, total);
        bool published = false;
        while (vq_used_idx(&b->q) != b->q.last_used) {
            u32 id = vq_used_elem(&b->q, b->q.last_used)->id;
            b->q.last_used++;
            u32 s = id / 3;
            if (id % 3 || s >= qd)
                test_fail(EXIT_FAIL, "%s: completion for descriptor %u, which heads no request", name, id);
            struct blk_slot *sl = &slots[s];
            if (*sl->status != VIRTIO_BLK_S_OK)
                test_fail(EXIT_FAIL, "%s: request at block %lu ended with status %u", name, sl->block, *sl->status);
            if (!(p == SEQ_WRITE || p == RAND_WRITE)) {
                check_stamp(sl->data, sl->block, name);
                if (sl->len > BLOCK)
                    check_stamp(sl->data + sl->len - BLOCK, sl->block + sl->len / BLOCK - 1, name);
            }
            bytes += sl->len;
            done++;
            if (submitted < total) {
                blk_prepare(b, p, s, submitted++, seq_bytes, blocks);
                published = true;
            }
        }
        if (published) {
            vq_kick(&b->dev, &b->q);
            kicks++;
        }
    }
    phase_end(name);
    printf("bench: %s %lu requests %lu bytes qd %u notifies %u interrupts %u\n", name, done, bytes, qd,
           kicks, b->dev.irqs - irqs0);
}

void scenario_blk_bench(void)
{
    u32 qd = arg_u32("ember.bench.qd", 8, 1, MAX_QD);
    u32 seq_kib = arg_u32("ember.bench.seqkib", 1024, 4, 4096);
    u32 ios = arg_u32("ember.bench.ios", 2000, 1, 10000000);
    if (seq_kib % 4)
        test_fail(EXIT_FAIL, "ember.bench.seqkib=%u: must be a multiple of 4", seq_kib);
    u32 seq_bytes = seq_kib * 1024;

    struct blk b;
    memset(&b, 0, sizeof(b));
    virtio_mmio_scan();
    b.mmio = virtio_mmio_find(VIRTIO_ID_BLOCK, 0);
    if (!b.mmio)
        test_fail(EXIT_FAIL, "no virtio-blk device on the command line (virtio_mmio.device=)");
    b.dev.base = b.mmio->base;
    b.dev.irq = b.mmio->irq;
    vdev_irq_setup(&b.dev);
    /* VIRTIO_BLK_F_FLUSH is accepted as a Linux guest does: without it a device must write
     * through (QEMU then follows every write with fdatasync). No flush is ever sent: the
     * phases measure the request path into the host's page cache, not the host's disk. */
    if (!vdev_init(&b.dev, b.mmio, (1UL << VIRTIO_BLK_F_RO) | (1UL << VIRTIO_BLK_F_FLUSH)))
        test_fail(EXIT_FAIL, "virtio-blk refused features 0x%lx", b.dev.features);
    if (b.dev.features & (1UL << VIRTIO_BLK_F_RO))
        test_fail(EXIT_FAIL, "the drive is read-only; blk-bench needs a writable drive");
    vq_setup(&b.dev, &b.q, 0, QUEUE_SIZE);
    vdev_driver_ok(&b.dev);
    b.capacity = vdev_config64(&b.dev, 0);
    u64 blocks = b.capacity / (BLOCK / 512);
    if (b.capacity % (BLOCK / 512) || blocks < 256)
        test_fail(EXIT_FAIL, "capacity %lu sectors: blk-bench needs a multiple of 8 sectors, at least 1 MiB", b.capacity);

    /* Per slot: header and status share a page; the data buffer is seq_bytes. Descriptors
     * 3s, 3s+1, 3s+2 stay chained for the whole run; only type, sector, length and the data
     * descriptor's direction change per request. */
    u8 *meta = page_alloc((qd * 64 + PAGE_SIZE - 1) / PAGE_SIZE);
    for (u32 s = 0; s < qd; s++) {
        struct blk_slot *sl = &slots[s];
        sl->hdr = (struct blk_req_hdr *)(meta + s * 64);
        sl->status = meta + s * 64 + 32;
        sl->data = page_alloc_uninit(seq_bytes / PAGE_SIZE);
        volatile struct vring_desc *d = &b.q.desc[3 * s];
        d[0] = (struct vring_desc){(u64)sl->hdr, sizeof(struct blk_req_hdr), VRING_DESC_F_NEXT, (u16)(3 * s + 1)};
        d[1] = (struct vring_desc){(u64)sl->data, BLOCK, VRING_DESC_F_NEXT, (u16)(3 * s + 2)};
        d[2] = (struct vring_desc){(u64)sl->status, 1, VRING_DESC_F_WRITE, 0};
    }
    printf("bench: blk capacity %lu sectors, qd %u, seq %u KiB, random 4 KiB x %u, %s\n", b.capacity, qd, seq_kib, ios,
           b.dev.features & (1UL << VIRTIO_BLK_F_FLUSH) ? "write-back (flush offered, none sent)" : "no flush offered");
    calibrate();
    for (enum blk_phase p = SEQ_WRITE; p <= RAND_WRITE; p++)
        blk_phase(&b, p, qd, seq_bytes, blocks, ios);
}

/* ---- network -------------------------------------------------------------------------- */

#define VIRTIO_NET_F_MAC 5
#define NET_HDR 12
#define FRAME 1514
#define ETHERTYPE 0x88b5
#define NET_BUF 2048

static void net_tx(struct vdev *dev, struct vq *tx, const u8 *mac, u32 qd, u32 frames)
{
    /* qd buffers (header + frame in one descriptor), descriptor s for slot s. */
    u8 *bufs = page_alloc_uninit(qd * NET_BUF / PAGE_SIZE + 1);
    for (u32 s = 0; s < qd; s++) {
        memset(bufs + s * NET_BUF, 0, NET_HDR); /* no offloads: an all-zero virtio_net_hdr */
        u8 *f = bufs + s * NET_BUF + NET_HDR;
        memset(f, 0xff, 6);
        memcpy(f + 6, mac, 6);
        f[12] = ETHERTYPE >> 8;
        f[13] = ETHERTYPE & 0xff;
        memcpy(f + 18, "EMBER net-bench frame", 21);
        tx->desc[s] = (struct vring_desc){(u64)(bufs + s * NET_BUF), NET_HDR + FRAME, 0, 0};
    }
    u32 submitted = 0, done = 0, irqs0 = dev->irqs, kicks = 1;
    phase_start("net-tx");
    for (u32 s = 0; s < qd && submitted < frames; s++) {
        *(u32 *)(bufs + s * NET_BUF + NET_HDR + 14) = submitted++;
        vq_publish(tx, (u16)s);
    }
    vq_kick(dev, tx);
    while (done < frames) {
        if (!wait_used(tx))
            test_fail(EXIT_FAIL, "net-tx: no completion within %u ms (%u of %u sent)", WAIT_MS, done, frames);
        bool published = false;
        while (vq_used_idx(tx) != tx->last_used) {
            u32 s = vq_used_elem(tx, tx->last_used)->id;
            tx->last_used++;
            if (s >= qd)
                test_fail(EXIT_FAIL, "net-tx: completion for descriptor %u, which heads no frame", s);
            done++;
            if (submitted < frames) {
                *(u32 *)(bufs + s * NET_BUF + NET_HDR + 14) = submitted++;
                vq_publish(tx, (u16)s);
                published = true;
            }
        }
        if (published) {
            vq_kick(dev, tx);
            kicks++;
        }
    }
    phase_end("net-tx");
    printf("bench: net-tx %u frames %u bytes qd %u notifies %u interrupts %u\n", done, done * FRAME, qd,
           kicks, dev->irqs - irqs0);
}

static void net_rx(struct vdev *dev, struct vq *rx, u32 frames)
{
    /* Every descriptor of the queue is a posted 2 KiB receive buffer: the device has as much
     * room as the ring allows while the guest works through completions. */
    u8 *bufs = page_alloc_uninit(QUEUE_SIZE * NET_BUF / PAGE_SIZE);
    for (u16 i = 0; i < QUEUE_SIZE; i++) {
        rx->desc[i] = (struct vring_desc){(u64)(bufs + i * NET_BUF), NET_BUF, VRING_DESC_F_WRITE, 0};
        vq_publish(rx, i);
    }
    vq_kick(dev, rx);
    u32 got = 0, lost = 0, next = 0, bytes = 0, irqs0 = dev->irqs, kicks = 1;
    printf("BENCH-READY net-rx\n");
    while (next < frames) {
        if (!wait_used(rx))
            test_fail(EXIT_FAIL, "net-rx: no frame within %u ms (%u of %u received, next number %u)", WAIT_MS, got,
                      frames, next);
        while (vq_used_idx(rx) != rx->last_used) {
            volatile struct vring_used_elem *e = vq_used_elem(rx, rx->last_used);
            u16 id = (u16)e->id;
            u32 len = e->len;
            rx->last_used++;
            if (id >= QUEUE_SIZE || len < NET_HDR + 18 || len > NET_BUF)
                test_fail(EXIT_FAIL, "net-rx: bad completion: descriptor %u length %u", id, len);
            const u8 *f = bufs + id * NET_BUF + NET_HDR;
            if (f[12] == (ETHERTYPE >> 8) && f[13] == (ETHERTYPE & 0xff)) {
                u32 n = *(const u32 *)(f + 14);
                if (n < next || n >= frames)
                    test_fail(EXIT_FAIL, "net-rx: frame number %u after %u (of %u)", n, next, frames);
                lost += n - next;
                next = n + 1;
                got++;
                bytes += len - NET_HDR;
            }
            vq_publish(rx, id);
        }
        vq_kick(dev, rx);
        kicks++;
    }
    phase_end("net-rx");
    printf("bench: net-rx %u frames %u bytes lost %u notifies %u interrupts %u\n", got, bytes, lost, kicks,
           dev->irqs - irqs0);
}

void scenario_net_bench(void)
{
    u32 qd = arg_u32("ember.bench.qd", 8, 1, MAX_QD);
    u32 frames = arg_u32("ember.bench.frames", 2000, 1, 100000000);
    virtio_mmio_scan();
    struct virtio_mmio_dev *m = virtio_mmio_find(VIRTIO_ID_NET, 0);
    if (!m)
        test_fail(EXIT_FAIL, "no virtio-net device on the command line (virtio_mmio.device=)");
    static struct vdev dev;
    static struct vq rx, tx;
    dev.base = m->base;
    dev.irq = m->irq;
    vdev_irq_setup(&dev);
    if (!vdev_init(&dev, m, 1UL << VIRTIO_NET_F_MAC))
        test_fail(EXIT_FAIL, "virtio-net refused features 0x%lx", dev.features);
    if (!(dev.features & (1UL << VIRTIO_NET_F_MAC)))
        test_fail(EXIT_FAIL, "virtio-net offers no MAC address (set guest_mac)");
    vq_setup(&dev, &rx, 0, QUEUE_SIZE);
    vq_setup(&dev, &tx, 1, QUEUE_SIZE);
    vdev_driver_ok(&dev);
    u8 mac[6];
    for (int i = 0; i < 6; i++)
        mac[i] = vdev_config8(&dev, i);
    printf("bench: net mac %02x:%02x:%02x:%02x:%02x:%02x, qd %u, %u frames of %u bytes\n", mac[0], mac[1], mac[2],
           mac[3], mac[4], mac[5], qd, frames, FRAME);
    net_tx(&dev, &tx, mac, qd, frames);
    net_rx(&dev, &rx, frames);
}
