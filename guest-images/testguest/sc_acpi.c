/* acpi-poweroff: find the VMM's ACPI tables as a kernel does (boot_params.acpi_rsdp_addr and a
 * BIOS-area scan), check every checksum, count the MADT's CPUs, read \_S5's SLP_TYP from the
 * DSDT's AML and enter S5 through the FADT's PM1a control port, which must end the VM. */
#include "guest.h"

#define BP_ACPI_RSDP_ADDR 0x070
#define SLP_TYP_SHIFT 10
#define SLP_EN (1 << 13)
#define SCI_EN 1
#define POWEROFF_GRACE_US 5000000

static u8 sum(const u8 *p, u32 len)
{
    u8 s = 0;
    for (u32 i = 0; i < len; i++)
        s += p[i];
    return s;
}

static const u8 *table(u64 addr, const char *sig)
{
    const u8 *t = (const u8 *)addr;
    if (memcmp(t, sig, 4))
        test_fail(EXIT_FAIL, "no %s at 0x%lx", sig, addr);
    u32 len = *(const u32 *)(t + 4);
    if (sum(t, len))
        test_fail(EXIT_FAIL, "%s checksum", sig);
    return t;
}

static u64 scan_rsdp(void)
{
    for (u64 a = 0xe0000; a < 0x100000; a += 16) {
        const u8 *p = (const u8 *)a;
        if (!memcmp(p, "RSD PTR ", 8) && !sum(p, 20) && !sum(p, 36))
            return a;
    }
    return 0;
}

/* The table with signature `sig` the XSDT lists (checksum checked), or NULL. */
const u8 *acpi_find_table(const char *sig)
{
    u64 rsdp = *(const u64 *)(boot_params_addr + BP_ACPI_RSDP_ADDR);
    if (!rsdp)
        return NULL;
    const u8 *xsdt = table(*(const u64 *)(rsdp + 24), "XSDT");
    for (u32 off = 36; off < *(const u32 *)(xsdt + 4); off += 8) {
        const u8 *t = (const u8 *)*(const u64 *)(xsdt + off);
        if (!memcmp(t, sig, 4))
            return table((u64)t, sig);
    }
    return NULL;
}

/* The first element of Name(\_S5_, Package(){...}): ZeroOp, OneOp or BytePrefix n. */
static int s5_sleep_type(const u8 *dsdt)
{
    static const u8 name[] = {0x08, '\\', '_', 'S', '5', '_', 0x12};
    u32 len = *(const u32 *)(dsdt + 4);
    for (u32 i = 36; i + sizeof(name) + 4 <= len; i++) {
        if (memcmp(dsdt + i, name, sizeof(name)))
            continue;
        const u8 *e = dsdt + i + sizeof(name) + 1 + 1; /* one-byte PkgLength, NumElements */
        if (e[0] == 0x00 || e[0] == 0x01)
            return e[0];
        if (e[0] == 0x0a)
            return e[1];
        return -1;
    }
    return -1;
}

static volatile bool grace_over;
static void grace_timeout(struct irq_frame *f)
{
    (void)f;
    grace_over = true;
}

void scenario_acpi_poweroff(void)
{
    u64 rsdp = *(const u64 *)(boot_params_addr + BP_ACPI_RSDP_ADDR);
    if (!rsdp || rsdp != scan_rsdp())
        test_fail(EXIT_FAIL, "boot_params.acpi_rsdp_addr 0x%lx, BIOS-area scan 0x%lx", rsdp, scan_rsdp());
    if (((const u8 *)rsdp)[15] != 2)
        test_fail(EXIT_FAIL, "RSDP revision %u, expected 2", ((const u8 *)rsdp)[15]);
    const u8 *xsdt = table(*(const u64 *)(rsdp + 24), "XSDT");
    const u8 *fadt = 0, *madt = 0;
    for (u32 off = 36; off < *(const u32 *)(xsdt + 4); off += 8) {
        const u8 *t = (const u8 *)*(const u64 *)(xsdt + off);
        if (!memcmp(t, "FACP", 4))
            fadt = table((u64)t, "FACP");
        else if (!memcmp(t, "APIC", 4))
            madt = table((u64)t, "APIC");
    }
    if (!fadt || !madt)
        test_fail(EXIT_FAIL, "XSDT lacks the FADT or the MADT");
    unsigned cpus = 0;
    for (u32 off = 44; off < *(const u32 *)(madt + 4); off += madt[off + 1])
        if (madt[off] == 0 && (*(const u32 *)(madt + off + 4) & 1))
            cpus++;
    const u8 *dsdt = table(*(const u64 *)(fadt + 140), "DSDT");
    int typ = s5_sleep_type(dsdt);
    u16 cnt_port = (u16) * (const u32 *)(fadt + 64);
    u16 cnt = inw(cnt_port);
    printf("acpi: madt cpus %u, pm1a_cnt 0x%x = 0x%x, s5 slp_typ %d\n", cpus, cnt_port, cnt, typ);
    if (typ < 0)
        test_fail(EXIT_FAIL, "no \\_S5_ package in the DSDT");
    if (!(cnt & SCI_EN))
        test_fail(EXIT_FAIL, "PM1a_CNT.SCI_EN clear: not in ACPI mode");
    outw(cnt_port, (u16)(cnt | (typ << SLP_TYP_SHIFT)));
    outw(cnt_port, (u16)(cnt | (typ << SLP_TYP_SHIFT) | SLP_EN));
    /* The VMM stops the vCPUs asynchronously: give it time before calling this a failure. */
    lapic_enable();
    irq_set_handler(VEC_LAPIC_TIMER, grace_timeout);
    lapic_timer_oneshot(POWEROFF_GRACE_US);
    while (!grace_over)
        irq_enable_and_halt();
    test_fail(EXIT_POWEROFF_IGNORED, "S5 through PM1a_CNT did not end the VM");
}
