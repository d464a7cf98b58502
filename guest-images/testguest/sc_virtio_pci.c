/* virtio-pci-blk: virtio-blk over the virtio-pci transport (virtio 1.2, 4.1), with MSI-X.
 *
 * Finds the first function 1af4:1042 on bus 0 through ECAM (pci.c), moves its 64-bit BAR 0
 * under 4 GiB if it is above (this guest maps only 4 GiB), walks its vendor capabilities for the
 * common, notify, ISR and device structures, programs MSI-X (vector 0: configuration changes,
 * vector 1: queue 0, each its own IDT vector), initialises the device through the common
 * configuration, sets up queue 0 with vector 1, writes a 4 KiB pattern to sectors 1..8 (byte
 * j = (j * 7 + 3) & 0xff, as virtio-blk), flushes, reads it back and compares. Fails unless
 * queue 0's MSI-X vector was taken. Output lines start with "virtio-pci: ". */
#include "virtio_queue.h"
#include "virtio_blk.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BLOCK 0x1042
#define FOUR_GIB 0x100000000UL
#define MSIX_ENABLE 0x8000
#define MSI_ADDRESS 0xfee00000u
#define VEC_CONFIG 0x61
#define VEC_QUEUE 0x62
#define PATTERN_SECTOR 1
#define PATTERN_BYTES 4096

/* struct virtio_pci_cap / virtio_pci_common_cfg offsets (<linux/virtio_pci.h>). */
#define CAP_CFG_TYPE 3
#define CAP_BAR 4
#define CAP_OFFSET 8
#define NOTIFY_MULTIPLIER 16
#define CFG_COMMON 1
#define CFG_NOTIFY 2
#define CFG_ISR 3
#define CFG_DEVICE 4
#define DEVICE_FEATURE_SELECT 0x00
#define DEVICE_FEATURE 0x04
#define DRIVER_FEATURE_SELECT 0x08
#define DRIVER_FEATURE 0x0c
#define MSIX_CONFIG 0x10
#define NUM_QUEUES 0x12
#define DEVICE_STATUS 0x14
#define QUEUE_SELECT 0x16
#define QUEUE_SIZE 0x18
#define QUEUE_MSIX_VECTOR 0x1a
#define QUEUE_ENABLE 0x1c
#define QUEUE_NOTIFY_OFF 0x1e
#define QUEUE_DESC 0x20
#define QUEUE_AVAIL 0x28
#define QUEUE_USED 0x30
#define NO_VECTOR 0xffff

static u64 common, notify, device;
static u32 notify_multiplier;
static volatile u32 queue_irqs, config_irqs;

static void queue_irq(struct irq_frame *f) { (void)f; queue_irqs++; }
static void config_irq(struct irq_frame *f) { (void)f; config_irqs++; }

static u8 status(void) { return mmio_read8(common + DEVICE_STATUS); }

static void set_status(u8 s) { mmio_write8(common + DEVICE_STATUS, s); }

static void write64(u64 at, u64 v)
{
    mmio_write32(at, (u32)v); /* two halves, as Linux's vp_iowrite64_twopart */
    mmio_write32(at + 4, (u32)(v >> 32));
}

/* Slot of the first virtio-blk function, its config space in *cfg; fails if none. */
static unsigned find_block(u64 ecam, u64 *cfg)
{
    for (unsigned slot = 1; slot < 32; slot++) {
        u64 c = pci_cfg(ecam, slot);
        u32 id = mmio_read32(c);
        if ((id & 0xffff) == VIRTIO_PCI_VENDOR && (id >> 16) == VIRTIO_PCI_DEVICE_BLOCK) {
            *cfg = c;
            return slot;
        }
    }
    test_fail(EXIT_FAIL, "no virtio-blk PCI function (1af4:1042) on bus 0: was ember started with --enable-pci and a drive?");
}

/* BAR 0's address, moved under 4 GiB (into the top of the host bridge's window) if needed. */
static u64 place_bar(unsigned slot, u64 cfg)
{
    bool is64;
    u64 size = pci_bar_size(cfg, 0, &is64);
    if (!size || !is64)
        test_fail(EXIT_FAIL, "00:%02x.0: BAR 0 is not a 64-bit memory BAR (size 0x%lx)", slot, size);
    u64 at = pci_bar_address(cfg, 0);
    if (at + size > FOUR_GIB) {
        u64 base, top;
        if (!pci_window32(&base, &top))
            test_fail(EXIT_FAIL, "no 32-bit memory window in the host bridge's _CRS");
        u64 moved = (top - size) & ~(size - 1);
        pci_bar_set(cfg, 0, moved);
        printf("virtio-pci: 00:%02x.0 bar 0 (0x%lx bytes) moved from 0x%lx to 0x%lx\n", slot, size, at, moved);
        at = moved;
    }
    return at;
}

static void find_structures(unsigned slot, u64 cfg, u64 bar)
{
    u8 at = mmio_read8(cfg + PCI_CAP_PTR);
    for (unsigned hops = 0; at && hops < 48; hops++, at = mmio_read8(cfg + at + 1)) {
        if (mmio_read8(cfg + at) != 0x09)
            continue;
        u8 type = mmio_read8(cfg + at + CAP_CFG_TYPE);
        u64 where = bar + mmio_read32(cfg + at + CAP_OFFSET);
        if (type >= CFG_COMMON && type <= CFG_DEVICE && mmio_read8(cfg + at + CAP_BAR) != 0)
            test_fail(EXIT_FAIL, "00:%02x.0: virtio structure %u outside BAR 0", slot, type);
        if (type == CFG_COMMON)
            common = where;
        else if (type == CFG_NOTIFY) {
            notify = where;
            notify_multiplier = mmio_read32(cfg + at + NOTIFY_MULTIPLIER);
        } else if (type == CFG_DEVICE)
            device = where;
    }
    if (!common || !notify || !device)
        test_fail(EXIT_FAIL, "00:%02x.0: missing virtio capabilities (common 0x%lx notify 0x%lx device 0x%lx)", slot, common, notify,
                  device);
}

static void enable_msix(unsigned slot, u64 cfg, u64 bar)
{
    u8 cap = pci_find_cap(cfg, PCI_CAP_MSIX);
    if (!cap)
        test_fail(EXIT_FAIL, "00:%02x.0: no MSI-X capability", slot);
    u32 table = mmio_read32(cfg + cap + 4);
    if ((table & 7) != 0)
        test_fail(EXIT_FAIL, "00:%02x.0: MSI-X table in BAR %u, expected BAR 0", slot, table & 7);
    u64 t = bar + (table & ~7u);
    u32 address = MSI_ADDRESS | (lapic_id() << 12);
    const u32 vectors[2] = {VEC_CONFIG, VEC_QUEUE};
    for (unsigned v = 0; v < 2; v++) {
        mmio_write32(t + 16 * v, address);
        mmio_write32(t + 16 * v + 4, 0);
        mmio_write32(t + 16 * v + 8, vectors[v]);
        mmio_write32(t + 16 * v + 12, 0); /* unmasked */
    }
    irq_set_handler(VEC_CONFIG, config_irq);
    irq_set_handler(VEC_QUEUE, queue_irq);
    mmio_write16(cfg + cap + 2, MSIX_ENABLE);
}

static struct vq q;
static struct blk_req_hdr *hdr;
static volatile u8 *st;
static u32 offered;

u8 vpci_blk_rw(u32 type, u64 sector, void *data, u32 len)
{
    hdr->type = type;
    hdr->reserved = 0;
    hdr->sector = sector;
    *st = 0xff;
    volatile struct vring_desc *d = q.desc;
    d[0].addr = (u64)hdr;
    d[0].len = sizeof(*hdr);
    d[0].flags = VRING_DESC_F_NEXT;
    d[0].next = len ? 1 : 2;
    if (len) {
        d[1].addr = (u64)data;
        d[1].len = len;
        d[1].flags = VRING_DESC_F_NEXT | ((type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID) ? VRING_DESC_F_WRITE : 0);
        d[1].next = 2;
    }
    d[2].addr = (u64)st;
    d[2].len = 1;
    d[2].flags = VRING_DESC_F_WRITE;
    d[2].next = 0;
    vq_publish(&q, 0);
    barrier();
    mmio_write16(notify + (u64)mmio_read16(common + QUEUE_NOTIFY_OFF) * notify_multiplier, 0);
    if (!vq_wait(&q, 1, 5000))
        test_fail(EXIT_FAIL, "virtio-pci: request type %u sector %lu got no completion within 5 s", type, sector);
    return *st;
}

u32 vpci_queue_irqs(void)
{
    return queue_irqs;
}

u64 vpci_blk_open(u32 wanted)
{
    u64 ecam = pci_ecam(), cfg;
    unsigned slot = find_block(ecam, &cfg);
    u64 bar = place_bar(slot, cfg);
    find_structures(slot, cfg, bar);
    mmio_write16(cfg + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    vdev_tick_setup();
    enable_msix(slot, cfg, bar);

    set_status(0);
    for (u32 i = 0; status() != 0; i++)
        if (i == 10000000u)
            test_fail(EXIT_FAIL, "virtio-pci: the device did not reset (status 0x%x)", status());
    set_status(VIRTIO_STATUS_ACKNOWLEDGE);
    set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    mmio_write32(common + DEVICE_FEATURE_SELECT, 1);
    if (!(mmio_read32(common + DEVICE_FEATURE) & 1))
        test_fail(EXIT_FAIL, "virtio-pci: VIRTIO_F_VERSION_1 not offered");
    mmio_write32(common + DEVICE_FEATURE_SELECT, 0);
    offered = mmio_read32(common + DEVICE_FEATURE);
    mmio_write32(common + DRIVER_FEATURE_SELECT, 0);
    mmio_write32(common + DRIVER_FEATURE, offered & (u32)wanted);
    mmio_write32(common + DRIVER_FEATURE_SELECT, 1);
    mmio_write32(common + DRIVER_FEATURE, 1); /* VERSION_1 */
    set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    if (!(status() & VIRTIO_STATUS_FEATURES_OK))
        test_fail(EXIT_FAIL, "virtio-pci: FEATURES_OK refused");
    mmio_write16(common + MSIX_CONFIG, 0);
    if (mmio_read16(common + MSIX_CONFIG) != 0)
        test_fail(EXIT_FAIL, "virtio-pci: msix_config vector 0 refused");
    printf("virtio-pci: 00:%02x.0 virtio-blk, %u queue(s), bar 0 at 0x%lx, notify multiplier %u\n", slot,
           mmio_read16(common + NUM_QUEUES), bar, notify_multiplier);

    u8 *rings = page_alloc(3);
    q.index = 0;
    q.size = 16;
    q.last_used = 0;
    q.desc = (volatile struct vring_desc *)rings;
    q.avail = (volatile u16 *)(rings + PAGE_SIZE);
    q.used = (volatile u16 *)(rings + 2 * PAGE_SIZE);
    mmio_write16(common + QUEUE_SELECT, 0);
    if (mmio_read16(common + QUEUE_SIZE) < q.size)
        test_fail(EXIT_FAIL, "virtio-pci: queue 0 has size %u", mmio_read16(common + QUEUE_SIZE));
    mmio_write16(common + QUEUE_SIZE, q.size);
    write64(common + QUEUE_DESC, (u64)q.desc);
    write64(common + QUEUE_AVAIL, (u64)q.avail);
    write64(common + QUEUE_USED, (u64)q.used);
    mmio_write16(common + QUEUE_MSIX_VECTOR, 1);
    if (mmio_read16(common + QUEUE_MSIX_VECTOR) != 1)
        test_fail(EXIT_FAIL, "virtio-pci: queue 0's MSI-X vector 1 refused");
    mmio_write16(common + QUEUE_ENABLE, 1);
    set_status(status() | VIRTIO_STATUS_DRIVER_OK);
    if (status() & VIRTIO_STATUS_NEEDS_RESET)
        test_fail(EXIT_FAIL, "virtio-pci: needs reset right after DRIVER_OK");
    u64 capacity = mmio_read32(device) | (u64)mmio_read32(device + 4) << 32;
    printf("virtio-pci: capacity %lu sectors\n", capacity);
    u8 *page = page_alloc(1);
    hdr = (struct blk_req_hdr *)page;
    st = page + 64;
    return capacity;
}

void scenario_virtio_pci_blk(void)
{
    vpci_blk_open(1u << VIRTIO_BLK_F_FLUSH);
    u8 *out = page_alloc(1), *in = page_alloc(1);
    for (u32 j = 0; j < PATTERN_BYTES; j++)
        out[j] = (u8)(j * 7 + 3);
    u8 s = vpci_blk_rw(VIRTIO_BLK_T_OUT, PATTERN_SECTOR, out, PATTERN_BYTES);
    if (s != VIRTIO_BLK_S_OK)
        test_fail(EXIT_FAIL, "virtio-pci: write failed with status %u", s);
    bool flush = (offered & (1u << VIRTIO_BLK_F_FLUSH)) != 0;
    if (flush && (s = vpci_blk_rw(VIRTIO_BLK_T_FLUSH, 0, NULL, 0)) != VIRTIO_BLK_S_OK)
        test_fail(EXIT_FAIL, "virtio-pci: flush failed with status %u", s);
    if ((s = vpci_blk_rw(VIRTIO_BLK_T_IN, PATTERN_SECTOR, in, PATTERN_BYTES)) != VIRTIO_BLK_S_OK)
        test_fail(EXIT_FAIL, "virtio-pci: read failed with status %u", s);
    for (u32 j = 0; j < PATTERN_BYTES; j++)
        if (in[j] != out[j])
            test_fail(EXIT_FAIL, "virtio-pci: read-back mismatch at byte %u: 0x%x, wrote 0x%x", j, in[j], out[j]);
    printf("virtio-pci: wrote %u sectors at %u, %s, read back identical\n", PATTERN_BYTES / 512, PATTERN_SECTOR,
           flush ? "flushed" : "no flush offered");
    /* Interrupts are only taken while halted: give a pending message a moment before calling it lost. */
    u32 deadline = vdev_now_ms() + 1000;
    while (queue_irqs == 0 && vdev_now_ms() < deadline)
        irq_enable_and_halt();
    if (queue_irqs == 0)
        test_fail(EXIT_FAIL, "virtio-pci: completions arrived but queue 0's MSI-X vector was never taken");
    printf("virtio-pci: %u MSI-X interrupts on the queue vector, %u on the config vector\n", queue_irqs, config_irqs);
    test_pass();
}
