/*
 * Ember test guest: the small runtime every scenario builds on.
 *
 * The guest runs identity mapped (virtual == physical) for the whole of the first 4 GiB, so
 * any guest-physical address below 4 GiB (RAM, virtio-mmio windows, the IOAPIC, the LAPIC)
 * can be dereferenced directly. Only general-purpose instructions are used: the PVM emulator
 * this project runs on has no SSE, XSAVE, POPCNT, CLAC/STAC or 64-bit INT3.
 */
#ifndef EMBER_GUEST_H
#define EMBER_GUEST_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;
typedef long s64;
typedef unsigned long size_t;
typedef unsigned long uintptr_t;
typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)

#define PAGE_SIZE 4096UL
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NORETURN __attribute__((noreturn))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* ---- result codes written to the exit port (0xf4) ---- */
#define EXIT_PASS 0
#define EXIT_FAIL 1            /* a scenario's check failed */
#define EXIT_UNKNOWN_SCENARIO 2
#define EXIT_DELIBERATE 3      /* the `fail` scenario */
#define EXIT_RESET_IGNORED 4   /* the i8042 reset did not end the VM */
#define EXIT_POWEROFF_IGNORED 5 /* ACPI S5 did not end the VM */
#define EXIT_EXCEPTION_BASE 64 /* 64 + vector: an unexpected CPU exception */

/* ---- port and MMIO access ---- */
static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port)
{
    u8 v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline u16 inw(u16 port)
{
    u16 v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u32 inl(u16 port)
{
    u32 v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* The address goes through an empty asm so GCC treats it as opaque: otherwise it warns about
 * (and may mis-optimise) constant addresses in low memory such as the BIOS data area. */
#define MMIO_PTR(type, addr) ({ u64 a_ = (addr); __asm__("" : "+r"(a_)); (volatile type *)a_; })
static inline u8 mmio_read8(u64 addr) { return *MMIO_PTR(u8, addr); }
static inline u16 mmio_read16(u64 addr) { return *MMIO_PTR(u16, addr); }
static inline u32 mmio_read32(u64 addr) { return *MMIO_PTR(u32, addr); }
static inline u64 mmio_read64(u64 addr) { return *MMIO_PTR(u64, addr); }
static inline void mmio_write8(u64 addr, u8 v) { *MMIO_PTR(u8, addr) = v; }
static inline void mmio_write16(u64 addr, u16 v) { *MMIO_PTR(u16, addr) = v; }
static inline void mmio_write32(u64 addr, u32 v) { *MMIO_PTR(u32, addr) = v; }
static inline void mmio_write64(u64 addr, u64 v) { *MMIO_PTR(u64, addr) = v; }

/* Compiler barrier; x86 keeps stores ordered, so this is all virtqueue publishing needs. */
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
/* Enables interrupts and halts in one step (STI's shadow covers HLT), so an interrupt that
 * arrives between a caller's last check and the halt still wakes it. Returns with IF=0. */
static inline void irq_enable_and_halt(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }
static inline NORETURN void halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* ---- string.c ---- */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
/* Parses an unsigned number: decimal, or hex with 0x; stops at the first non-digit. */
u64 parse_u64(const char *s, const char **end);

/* ---- serial.c: 8250 UART at 0x3f8 ---- */
#define SERIAL_IRQ 4
void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);
bool serial_rx_ready(void);
u8 serial_getc_nowait(void); /* only after serial_rx_ready() */
void serial_enable_rx_irq(void);
/* Interrupt-driven input on (IRQ 4 routed), then wait for one byte, halting in between. */
void serial_input_start(void);
void serial_wait_byte(void);
u8 serial_wait_getc(void);     /* the next byte of input, waiting for it */

/* ---- printf.c: %s %c %d %i %u %x %p, with l/ll, width and 0 flag ---- */
void printf(const char *fmt, ...) PRINTF_LIKE(1, 2);
void vprintf(const char *fmt, __builtin_va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* ---- main.c: results ---- */
extern const char *test_name;
NORETURN void test_pass(void);
NORETURN void test_fail(int code, const char *fmt, ...) PRINTF_LIKE(2, 3);
NORETURN void test_exit(int code);

/* ---- bootparams.c ---- */
struct e820_entry {
    u64 addr;
    u64 size;
    u32 type;
} __attribute__((packed));
#define E820_RAM 1
#define E820_MAX 128
extern char boot_cmdline[2048];
extern struct e820_entry boot_e820[E820_MAX];
extern unsigned boot_e820_count;
extern u64 boot_params_addr;
void bootparams_read(u64 zero_page);
/* Value of `key=` on the command line, copied into buf (NUL-terminated); false if absent. */
bool cmdline_get(const char *key, char *buf, size_t size);

/* ---- mem.c: pages from e820 RAM above the image, below 4 GiB ---- */
void mem_init(void);
void *page_alloc(unsigned npages);        /* zeroed, 4 KiB aligned; fails the test when out */
void *page_alloc_uninit(unsigned npages); /* the same, contents left as they are */
u64 mem_free_bytes(void);

/* ---- interrupts.c ---- */
#define VEC_IOAPIC_BASE 0x20 /* IOAPIC pin n -> vector 0x20 + n (pins 0..23) */
#define VEC_LAPIC_TIMER 0x40
#define VEC_IPI_CHECKIN 0x41
#define VEC_SPURIOUS 0xff
struct irq_frame {
    u64 r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
    u64 vector, error;
    u64 rip, cs, rflags, rsp, ss;
};
typedef void (*irq_handler_t)(struct irq_frame *frame);
void interrupts_init(void);               /* IDT with exception handlers; IF stays 0 */
void interrupts_load_idt(void);           /* lidt on the calling CPU (APs) */
void irq_set_handler(unsigned vector, irq_handler_t h);
/* Routes IOAPIC pin `gsi` (edge, active high) to vector 0x20+gsi on the boot CPU. */
void ioapic_route(unsigned gsi, irq_handler_t h);
void ioapic_mask(unsigned gsi);

/* ---- lapic.c: xAPIC at 0xFEE00000 ---- */
#define LAPIC_BASE 0xFEE00000UL
void lapic_enable(void);                  /* software-enable with the spurious vector */
u32 lapic_id(void);
void lapic_eoi(void);
/* KVM's in-kernel LAPIC counts at 1 GHz (1 ns bus cycle) with divide-by-1. */
void lapic_timer_periodic(u32 period_us);
void lapic_timer_oneshot(u32 delay_us);
void lapic_timer_stop(void);
void lapic_send_ipi(u32 dest_apic_id, u32 icr_low);

/* ---- virtio_mmio.c: devices from virtio_mmio.device= on the command line ---- */
struct virtio_mmio_dev {
    u64 base;
    u64 size;
    u32 irq;
    u32 device_id;   /* VIRTIO_MMIO_DEVICE_ID register, 0 if no device answered */
    u32 version;     /* VIRTIO_MMIO_VERSION: 1 legacy, 2 modern */
};
#define VIRTIO_MMIO_MAX 16
extern struct virtio_mmio_dev virtio_mmio_devs[VIRTIO_MMIO_MAX];
extern unsigned virtio_mmio_count;
void virtio_mmio_scan(void);              /* parse the command line and probe each window */
struct virtio_mmio_dev *virtio_mmio_find(u32 device_id, unsigned nth);

/* ---- sc_acpi.c ---- */
const u8 *acpi_find_table(const char *sig); /* via boot_params' RSDP and the XSDT; NULL if absent */

/* ---- pci.c: bus 0 through the ECAM window ACPI's MCFG gives (ember --enable-pci) ---- */
#define PCI_VENDOR 0x00
#define PCI_COMMAND 0x04
#define PCI_CLASS_REV 0x08
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_CAP_PTR 0x34
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_CAP_MSIX 0x11
u64 pci_ecam(void);                        /* MCFG's base for segment 0 bus 0; fails the test if absent */
/* The host bridge's 32-bit memory window, from its _CRS in the DSDT; false if none found. */
bool pci_window32(u64 *base, u64 *end);
static inline u64 pci_cfg(u64 ecam, unsigned slot) { return ecam + ((u64)slot << 15); }
/* Size of memory BAR `bar` (its low bits, the probe with decode off, then the value put back); 0 if none. */
u64 pci_bar_size(u64 cfg, unsigned bar, bool *is64);
u64 pci_bar_address(u64 cfg, unsigned bar);
void pci_bar_set(u64 cfg, unsigned bar, u64 address);
u8 pci_find_cap(u64 cfg, u8 id);           /* offset of the first capability `id`, 0 if none */

/* ---- scenarios.c ---- */
struct scenario {
    const char *name;
    void (*run)(void); /* ends with test_pass()/test_fail(); returning counts as PASS */
};
const struct scenario *scenario_find(const char *name);

/* image bounds from link.ld */
extern char __image_start[], __image_end[];

#endif
