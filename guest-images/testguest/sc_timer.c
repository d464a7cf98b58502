/* timer: counts LAPIC timer interrupts; idle: prints a tick per second until stopped. */
#include "guest.h"

#define TIMER_TICKS 5
#define TIMER_PERIOD_US 10000
#define IDLE_PERIOD_US 1000000

static volatile u32 ticks;

static void timer_irq(struct irq_frame *f)
{
    (void)f;
    ticks++;
}

void scenario_timer(void)
{
    lapic_enable();
    irq_set_handler(VEC_LAPIC_TIMER, timer_irq);
    lapic_timer_periodic(TIMER_PERIOD_US);
    while (ticks < TIMER_TICKS)
        irq_enable_and_halt();
    lapic_timer_stop();
    printf("timer: %u interrupts at a %u us period\n", ticks, TIMER_PERIOD_US);
}

void scenario_idle(void)
{
    printf("EMBER-TEST: READY idle\n");
    lapic_enable();
    irq_set_handler(VEC_LAPIC_TIMER, timer_irq);
    lapic_timer_periodic(IDLE_PERIOD_US);
    for (u32 printed = 0;;) {
        while (ticks == printed)
            irq_enable_and_halt();
        printed = ticks;
        printf("tick %u\n", printed);
    }
}
