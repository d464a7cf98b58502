/* snapshot: state that must survive PUT /snapshot/create, a new Ember process and
 * PUT /snapshot/load. Needs a writable drive.
 *
 * Before the snapshot: sets up virtio-blk (queue, interrupts), writes pattern A to sector 1,
 * fills 64 KiB of RAM with a pattern, enables the UART receive interrupt, prints
 * "EMBER-TEST: READY snapshot" and then "tick <n>" every 200 ms (LAPIC timer time).
 * The host snapshots the VM meanwhile and restores it in another process, which continues
 * the count. A 'c' on the serial input ends the count: the guest checks the RAM pattern,
 * reads pattern A back, writes and reads pattern B at sector 9 through the same virtqueue
 * (needing a virtio interrupt), prints "snapshot: ..." and the PASS line, and resets
 * through the i8042 so the VMM exits 0.
 * snapshot-pci: the same with the drive a virtio-pci function (ember --enable-pci), its
 * interrupts MSI-X messages. */
#include "virtio_queue.h"
#include "virtio_blk.h"

#define TICK_MS 200
#define RAM_PAGES 16
#define SECTOR_A 1
#define SECTOR_B 9
#define PATTERN_BYTES 4096
#define I8042_COMMAND 0x64
#define I8042_RESET 0xfe

static void serial_irq(struct irq_frame *f)
{
    (void)f; /* the loop polls the receiver */
}

static void fill(u8 *p, u32 n, u32 mul, u32 add)
{
    for (u32 j = 0; j < n; j++)
        p[j] = (u8)(j * mul + add);
}

static void check(const u8 *p, u32 n, u32 mul, u32 add, const char *what)
{
    for (u32 j = 0; j < n; j++)
        if (p[j] != (u8)(j * mul + add))
            test_fail(EXIT_FAIL, "%s differs at byte %u: 0x%x, expected 0x%x", what, j, p[j], (u8)(j * mul + add));
}

static struct blk b;
static bool on_pci;

static u8 disk_rw(u32 type, u64 sector, void *data, u32 len)
{
    return on_pci ? vpci_blk_rw(type, sector, data, len) : blk_rw(&b, type, sector, data, len);
}

static u32 disk_irqs(void)
{
    return on_pci ? vpci_queue_irqs() : b.dev.irqs;
}

static void write_and_read(u64 sector, u8 *out, u8 *in, u32 mul, u32 add, const char *what)
{
    fill(out, PATTERN_BYTES, mul, add);
    u8 s = disk_rw(VIRTIO_BLK_T_OUT, sector, out, PATTERN_BYTES);
    if (s != VIRTIO_BLK_S_OK)
        test_fail(EXIT_FAIL, "%s: write failed with status %u", what, s);
    memset(in, 0, PATTERN_BYTES);
    s = disk_rw(VIRTIO_BLK_T_IN, sector, in, PATTERN_BYTES);
    if (s != VIRTIO_BLK_S_OK)
        test_fail(EXIT_FAIL, "%s: read failed with status %u", what, s);
    check(in, PATTERN_BYTES, mul, add, what);
}

static void run(bool pci)
{
    /* Either open also starts the 10 ms LAPIC tick behind vdev_now_ms(). */
    on_pci = pci;
    u64 capacity;
    if (pci) {
        capacity = vpci_blk_open(1u << VIRTIO_BLK_F_FLUSH);
    } else {
        blk_open(&b, 1UL << VIRTIO_BLK_F_FLUSH);
        capacity = b.capacity;
    }
    if (capacity < SECTOR_B + PATTERN_BYTES / 512)
        test_fail(EXIT_FAIL, "the drive is too small (%lu sectors)", capacity);
    u8 *out = page_alloc(1), *in = page_alloc(1), *ram = page_alloc(RAM_PAGES);
    write_and_read(SECTOR_A, out, in, 7, 3, "pattern A before the snapshot");
    fill(ram, RAM_PAGES * 4096, 31, 7);
    ioapic_route(SERIAL_IRQ, serial_irq);
    serial_enable_rx_irq();
    printf("snapshot: pattern A written, %u virtio interrupts\n", disk_irqs());
    printf("EMBER-TEST: READY snapshot\n");

    u32 count = 0, next = vdev_now_ms() + TICK_MS;
    for (;;) {
        while (vdev_now_ms() < next && !serial_rx_ready())
            irq_enable_and_halt();
        if (serial_rx_ready() && serial_getc_nowait() == 'c')
            break;
        if (vdev_now_ms() >= next) {
            printf("tick %u\n", ++count);
            next += TICK_MS;
        }
    }

    check(ram, RAM_PAGES * 4096, 31, 7, "RAM pattern");
    memset(in, 0, PATTERN_BYTES);
    u8 s = disk_rw(VIRTIO_BLK_T_IN, SECTOR_A, in, PATTERN_BYTES);
    if (s != VIRTIO_BLK_S_OK)
        test_fail(EXIT_FAIL, "reading pattern A back failed with status %u", s);
    check(in, PATTERN_BYTES, 7, 3, "pattern A read after the snapshot");
    u32 irqs = disk_irqs();
    write_and_read(SECTOR_B, out, in, 13, 5, "pattern B after the snapshot");
    /* Under PVM a device interrupt can sit in the LAPIC's IRR for a while (it is taken at a
     * later exit), so give it time instead of failing at once. */
    u32 irq_deadline = vdev_now_ms() + 3000;
    while (disk_irqs() == irqs && vdev_now_ms() < irq_deadline)
        irq_enable_and_halt();
    if (disk_irqs() == irqs)
        test_fail(EXIT_FAIL, "no virtio interrupt within 3 s of the requests after the snapshot");
    printf("snapshot: %u ticks, RAM and drive intact, pattern B written, %u virtio interrupts\n", count, disk_irqs());
    printf("EMBER-TEST: PASS %s\n", pci ? "snapshot-pci" : "snapshot");
    outb(I8042_COMMAND, I8042_RESET);
    u32 deadline = vdev_now_ms() + 5000;
    while (vdev_now_ms() < deadline)
        irq_enable_and_halt();
    test_fail(EXIT_RESET_IGNORED, "the i8042 reset did not stop the VM");
}

void scenario_snapshot(void)
{
    run(false);
}

void scenario_snapshot_pci(void)
{
    run(true);
}
