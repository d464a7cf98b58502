/* Scenarios that need no interrupts: hello, fail, bootinfo, boottimer, reset. */
#include "guest.h"

#define BOOT_TIMER_MMIO 0xd0000000UL /* Firecracker's boot-timer device */
#define BOOT_TIMER_MAGIC 123
#define I8042_COMMAND 0x64
#define I8042_RESET 0xfe
#define RESET_GRACE_US 5000000

void scenario_hello(void)
{
    printf("Hello from the Ember test guest\n");
}

void scenario_fail(void)
{
    test_fail(EXIT_DELIBERATE, "deliberate failure");
}

void scenario_bootinfo(void)
{
    printf("cmdline: %s\n", boot_cmdline);
    bool low_ram = false;
    u64 image_start = (u64)__image_start, image_end = (u64)__image_end;
    for (unsigned i = 0; i < boot_e820_count; i++) {
        const struct e820_entry *e = &boot_e820[i];
        printf("e820: 0x%lx 0x%lx %u\n", e->addr, e->addr + e->size, e->type);
        if (e->type == E820_RAM && e->addr <= image_start && e->addr + e->size >= image_end)
            low_ram = true;
    }
    virtio_mmio_scan();
    for (unsigned i = 0; i < virtio_mmio_count; i++) {
        const struct virtio_mmio_dev *d = &virtio_mmio_devs[i];
        printf("virtio-mmio: 0x%lx 0x%lx irq %u id %u\n", d->base, d->size, d->irq, d->device_id);
    }
    if (!boot_e820_count)
        test_fail(EXIT_FAIL, "no e820 entries in boot_params");
    if (!low_ram)
        test_fail(EXIT_FAIL, "no e820 RAM entry covers the image at 0x%lx-0x%lx", image_start,
                  image_end);
}

void scenario_boottimer(void)
{
    mmio_write8(BOOT_TIMER_MMIO, BOOT_TIMER_MAGIC);
    printf("boot timer signalled\n");
}

static volatile bool reset_grace_over;
static void reset_timeout(struct irq_frame *f)
{
    (void)f;
    reset_grace_over = true;
}

void scenario_reset(void)
{
    printf("resetting through the i8042\n");
    outb(I8042_COMMAND, I8042_RESET);
    /* The VMM may stop the vCPU asynchronously: give it time before calling this a failure. */
    lapic_enable();
    irq_set_handler(VEC_LAPIC_TIMER, reset_timeout);
    lapic_timer_oneshot(RESET_GRACE_US);
    while (!reset_grace_over)
        irq_enable_and_halt();
    test_fail(EXIT_RESET_IGNORED, "the i8042 reset did not stop the VM");
}
