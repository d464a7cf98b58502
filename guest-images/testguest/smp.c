/* smp: finds the CPUs in the Intel MP table (MP spec 1.4), starts every AP with
 * INIT-SIPI-SIPI and waits until each has written its APIC id to the check-in array. */
#include "guest.h"

#define MAX_CPUS 64
#define TRAMPOLINE_PAGE 0x1000UL   /* SIPI vector 0x01; below 1 MiB, page aligned */
#define MPF_SIGNATURE 0x5f504d5f   /* "_MP_" */
#define MPC_SIGNATURE 0x504d4350   /* "PCMP" */
#define MPC_ENTRIES_OFFSET 44
#define MP_PROCESSOR 0
#define MP_PROCESSOR_LEN 20
#define MP_OTHER_LEN 8             /* bus, IOAPIC, I/O and local interrupt entries */
#define CPU_ENABLED 0x01
#define CPU_BSP 0x02
#define ICR_INIT 0x00004500        /* INIT, level assert */
#define ICR_STARTUP 0x00004600     /* start-up IPI; low byte is the vector (page number) */
#define CHECKIN_TIMEOUT_US 5000000

extern char ap_trampoline[], ap_trampoline_end[];

/* Read by entry.S (ap_long): the next AP index and each index's stack. */
volatile u32 ap_next_index;
u64 ap_stack_tops[MAX_CPUS];

static volatile u32 checked_in;
static volatile u32 checkin_apic_id[MAX_CPUS];
static u32 bsp_apic_id;
static volatile bool timed_out;

static u8 checksum(const u8 *p, unsigned len)
{
    u8 sum = 0;
    for (unsigned i = 0; i < len; i++)
        sum = (u8)(sum + p[i]);
    return sum;
}

static const u8 *scan(u64 start, u64 len)
{
    for (u64 a = start; a + 16 <= start + len; a += 16) {
        const u8 *p = (const u8 *)a;
        if (*(const u32 *)p == MPF_SIGNATURE && p[8] == 1 && checksum(p, 16) == 0)
            return p;
    }
    return NULL;
}

/* MP spec 4: the EBDA's first KiB, the last KiB of base memory, then 0xF0000-0xFFFFF. */
static const u8 *find_floating_pointer(void)
{
    const u8 *p = NULL;
    u64 ebda = (u64)mmio_read16(0x40e) << 4;
    u64 base_kib = mmio_read16(0x413);
    if (ebda)
        p = scan(ebda, 1024);
    if (!p)
        p = scan(base_kib ? base_kib * 1024 - 1024 : 0x9fc00, 1024);
    if (!p)
        p = scan(0xf0000, 0x10000);
    return p;
}

void ap_main(u32 index);
void ap_main(u32 index)
{
    interrupts_load_idt();
    lapic_enable();
    checkin_apic_id[index] = lapic_id();
    __atomic_fetch_add(&checked_in, 1, __ATOMIC_SEQ_CST);
    lapic_send_ipi(bsp_apic_id, VEC_IPI_CHECKIN);
}

static void checkin_irq(struct irq_frame *f) { (void)f; }
static void timeout_irq(struct irq_frame *f) { (void)f; timed_out = true; }

void scenario_smp(void)
{
    const u8 *mpf = find_floating_pointer();
    if (!mpf)
        test_fail(EXIT_FAIL, "no MP floating pointer structure (\"_MP_\") found");
    u64 table = *(const u32 *)(mpf + 4);
    if (!table)
        test_fail(EXIT_FAIL, "MP default configuration %u is not supported", mpf[11]);
    const u8 *mpc = (const u8 *)table;
    u16 length = *(const u16 *)(mpc + 4);
    u16 entries = *(const u16 *)(mpc + 34);
    if (*(const u32 *)mpc != MPC_SIGNATURE || checksum(mpc, length) != 0)
        test_fail(EXIT_FAIL, "bad MP configuration table at 0x%lx", table);

    bsp_apic_id = lapic_id();
    u32 ap_ids[MAX_CPUS];
    unsigned cpus = 0, aps = 0;
    bool bsp_listed = false;
    const u8 *e = mpc + MPC_ENTRIES_OFFSET;
    for (unsigned i = 0; i < entries; i++) {
        if (e >= mpc + length)
            test_fail(EXIT_FAIL, "MP table entry %u lies past the table's length %u", i, length);
        if (e[0] == MP_PROCESSOR) {
            if (e[3] & CPU_ENABLED) {
                cpus++;
                if (e[1] == bsp_apic_id) {
                    bsp_listed = true;
                    if (!(e[3] & CPU_BSP))
                        test_fail(EXIT_FAIL, "MP table does not flag APIC id %u as the BSP", e[1]);
                } else if (aps < MAX_CPUS - 1) {
                    ap_ids[aps++] = e[1];
                }
            }
            e += MP_PROCESSOR_LEN;
        } else if (e[0] <= 4) {
            e += MP_OTHER_LEN;
        } else {
            test_fail(EXIT_FAIL, "unknown MP table entry type %u", e[0]);
        }
    }
    printf("mp table: 0x%lx, %u cpus listed\n", table, cpus);
    if (!bsp_listed)
        test_fail(EXIT_FAIL, "the BSP (APIC id %u) is not in the MP table", bsp_apic_id);

    u64 tramp_len = (u64)(ap_trampoline_end - ap_trampoline);
    if ((u64)mpf < TRAMPOLINE_PAGE + PAGE_SIZE && (u64)mpf + 16 > TRAMPOLINE_PAGE)
        test_fail(EXIT_FAIL, "the MP table overlaps the AP trampoline page 0x%lx", TRAMPOLINE_PAGE);
    memcpy((void *)TRAMPOLINE_PAGE, ap_trampoline, tramp_len);
    for (unsigned i = 0; i < aps; i++)
        ap_stack_tops[i] = (u64)page_alloc(1) + PAGE_SIZE;

    lapic_enable();
    irq_set_handler(VEC_IPI_CHECKIN, checkin_irq);
    irq_set_handler(VEC_LAPIC_TIMER, timeout_irq);
    for (unsigned i = 0; i < aps; i++) {
        lapic_send_ipi(ap_ids[i], ICR_INIT);
        lapic_send_ipi(ap_ids[i], ICR_STARTUP | (u32)(TRAMPOLINE_PAGE >> 12));
        lapic_send_ipi(ap_ids[i], ICR_STARTUP | (u32)(TRAMPOLINE_PAGE >> 12));
    }
    lapic_timer_oneshot(CHECKIN_TIMEOUT_US);
    while (checked_in < aps && !timed_out)
        irq_enable_and_halt();
    lapic_timer_stop();

    printf("cpus online: %u\n", 1 + checked_in);
    for (unsigned i = 0; i < checked_in; i++)
        printf("cpu: apic id %u checked in\n", checkin_apic_id[i]);
    if (checked_in != aps)
        test_fail(EXIT_FAIL, "%u of %u application processors checked in", checked_in, aps);
    for (unsigned i = 0; i < aps; i++) {
        bool seen = false;
        for (unsigned j = 0; j < checked_in; j++)
            seen |= checkin_apic_id[j] == ap_ids[i];
        if (!seen)
            test_fail(EXIT_FAIL, "APIC id %u from the MP table never checked in", ap_ids[i]);
    }
    if (cpus != 1 + aps)
        test_fail(EXIT_FAIL, "MP table lists %u CPUs, more than %u supported", cpus, MAX_CPUS);
}
