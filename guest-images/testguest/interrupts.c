/* IDT, interrupt dispatch and IOAPIC routing. Only vectors with a handler (plus the CPU
 * exceptions) have a gate, so a stray vector raises #NP and is reported. */
#include "guest.h"

#define KERNEL_CS 0x08
#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define IOAPIC_BASE 0xFEC00000UL
#define IOAPIC_REGSEL 0x00
#define IOAPIC_WINDOW 0x10
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))
#define IOAPIC_PINS 24
#define REDTBL_MASKED (1u << 16)
#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1

struct idt_gate {
    u16 offset_low;
    u16 selector;
    u8 ist;
    u8 type;
    u16 offset_mid;
    u32 offset_high;
    u32 reserved;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));
static irq_handler_t handlers[256];
extern char isr_stubs[]; /* entry.S: 16 bytes per vector */

static const char *const exception_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound",
    "#UD invalid opcode", "#NM no math", "#DF double fault", "coprocessor overrun",
    "#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved 15", "#MF x87", "#AC alignment", "#MC machine check",
    "#XM SIMD", "#VE virtualization", "#CP control protection",
};

static void set_gate(unsigned vector)
{
    u64 addr = (u64)isr_stubs + 16 * vector;
    struct idt_gate *g = &idt[vector];
    g->offset_low = (u16)addr;
    g->selector = KERNEL_CS;
    g->ist = 0;
    g->type = GATE_INTERRUPT;
    g->offset_mid = (u16)(addr >> 16);
    g->offset_high = (u32)(addr >> 32);
    g->reserved = 0;
}

/* Loads the IDT on the calling CPU (the APs call this too). */
void interrupts_load_idt(void)
{
    struct {
        u16 limit;
        u64 base;
    } __attribute__((packed)) idtr = {sizeof(idt) - 1, (u64)idt};
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

void interrupts_init(void)
{
    for (unsigned v = 0; v < 32; v++)
        set_gate(v);
    set_gate(VEC_SPURIOUS);
    interrupts_load_idt();
    /* The 8259s share IRQ lines with the IOAPIC and may deliver through LAPIC LINT0: mask
     * them so device interrupts arrive only as the IOAPIC vectors we program. */
    outb(PIC1_DATA, 0xff);
    outb(PIC2_DATA, 0xff);
}

void irq_set_handler(unsigned vector, irq_handler_t h)
{
    handlers[vector] = h;
    set_gate(vector);
}

static void ioapic_write(u32 reg, u32 value)
{
    mmio_write32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
    mmio_write32(IOAPIC_BASE + IOAPIC_WINDOW, value);
}

void ioapic_route(unsigned gsi, irq_handler_t h)
{
    if (gsi >= IOAPIC_PINS)
        test_fail(EXIT_FAIL, "IRQ %u is beyond the IOAPIC's %u pins", gsi, IOAPIC_PINS);
    irq_set_handler(VEC_IOAPIC_BASE + gsi, h);
    ioapic_write(IOAPIC_REDTBL(gsi) + 1, lapic_id() << 24);       /* physical destination */
    ioapic_write(IOAPIC_REDTBL(gsi), VEC_IOAPIC_BASE + gsi);      /* fixed, edge, high, unmasked */
}

void ioapic_mask(unsigned gsi)
{
    ioapic_write(IOAPIC_REDTBL(gsi), REDTBL_MASKED | (VEC_IOAPIC_BASE + gsi));
}

static u64 read_cr2(void)
{
    u64 v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

void isr_dispatch(struct irq_frame *f);
void isr_dispatch(struct irq_frame *f)
{
    unsigned v = (unsigned)f->vector;
    if (v < 32) {
        test_fail(EXIT_EXCEPTION_BASE + (int)v,
                  "CPU exception %u (%s) error 0x%lx at rip 0x%lx cr2 0x%lx apic %u", v,
                  exception_names[v] ? exception_names[v] : "reserved", f->error, f->rip,
                  read_cr2(), lapic_id());
    }
    if (v == VEC_SPURIOUS)
        return; /* no EOI for the spurious vector */
    if (handlers[v])
        handlers[v](f);
    lapic_eoi();
}
