/* Local APIC in xAPIC mode (MMIO at 0xFEE00000, mapped uncached by entry.S). */
#include "guest.h"

#define APIC_ID 0x020
#define APIC_TPR 0x080
#define APIC_EOI 0x0b0
#define APIC_SVR 0x0f0
#define APIC_ICR_LOW 0x300
#define APIC_ICR_HIGH 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_TIMER_INITIAL 0x380
#define APIC_TIMER_DIVIDE 0x3e0
#define SVR_ENABLE 0x100
#define LVT_MASKED 0x10000
#define LVT_TIMER_PERIODIC 0x20000
#define ICR_DELIVERY_PENDING 0x1000
#define NS_PER_BUS_CYCLE 1 /* KVM (and QEMU TCG) model the APIC bus at 1 GHz */

static u32 apic_read(u32 reg) { return mmio_read32(LAPIC_BASE + reg); }
static void apic_write(u32 reg, u32 v) { mmio_write32(LAPIC_BASE + reg, v); }

void lapic_enable(void)
{
    apic_write(APIC_TPR, 0);
    apic_write(APIC_LVT_LINT0, LVT_MASKED); /* the 8259 path; see interrupts_init() */
    apic_write(APIC_LVT_LINT1, LVT_MASKED);
    apic_write(APIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
}

u32 lapic_id(void)
{
    return apic_read(APIC_ID) >> 24;
}

void lapic_eoi(void)
{
    apic_write(APIC_EOI, 0);
}

/* Programs divider and initial count for a delay in microseconds: divide-by-1 covers up to
 * ~4.29 s at 1 GHz; longer delays use larger dividers. */
static void timer_start(u32 lvt, u32 us)
{
    static const u8 divide_config[8] = {0xb, 0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa}; /* 1..128 */
    u64 cycles = (u64)us * 1000 / NS_PER_BUS_CYCLE;
    unsigned shift = 0;
    while ((cycles >> shift) > 0xffffffffUL && shift < 7)
        shift++;
    apic_write(APIC_TIMER_DIVIDE, divide_config[shift]);
    apic_write(APIC_LVT_TIMER, lvt);
    u64 count = cycles >> shift;
    apic_write(APIC_TIMER_INITIAL, (u32)(count ? (count > 0xffffffffUL ? 0xffffffffUL : count) : 1));
}

void lapic_timer_periodic(u32 period_us)
{
    timer_start(VEC_LAPIC_TIMER | LVT_TIMER_PERIODIC, period_us);
}

void lapic_timer_oneshot(u32 delay_us)
{
    timer_start(VEC_LAPIC_TIMER, delay_us);
}

void lapic_timer_stop(void)
{
    apic_write(APIC_TIMER_INITIAL, 0);
    apic_write(APIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
}

void lapic_send_ipi(u32 dest_apic_id, u32 icr_low)
{
    apic_write(APIC_ICR_HIGH, dest_apic_id << 24);
    apic_write(APIC_ICR_LOW, icr_low);
    while (apic_read(APIC_ICR_LOW) & ICR_DELIVERY_PENDING)
        cpu_relax();
}
