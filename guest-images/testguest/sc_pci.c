/* pci: find bus 0 as Linux does (MCFG's ECAM, the host bridge's window in the DSDT), check the
 * host bridge at 00:00.0 and the all-ones of absent functions, then drive every other function
 * as firmware and a driver would: size each BAR with decode off, move a 64-bit BAR above 4 GiB
 * to the top of the 32-bit window (this guest maps only 4 GiB; the VMM must move the BAR's
 * handler), check it decodes only once Memory Space is on, and program its MSI-X table. */
#include "guest.h"

#define CLASS_HOST_BRIDGE 0x060000
#define FOUR_GIB 0x100000000UL
#define MSIX_ENABLE 0x8000
#define MSIX_FUNCTION_MASK 0x4000
#define MSI_ADDRESS 0xfee00000u
#define TEST_VECTOR 0x60

static void check_msix(unsigned slot, u64 cfg, u8 cap, const u64 *bar_address)
{
    u16 control = mmio_read16(cfg + cap + 2);
    u32 table = mmio_read32(cfg + cap + 4), pba = mmio_read32(cfg + cap + 8);
    unsigned vectors = (control & 0x7ff) + 1;
    u64 t = bar_address[table & 7] + (table & ~7u), p = bar_address[pba & 7] + (pba & ~7u);
    if (!bar_address[table & 7] || !bar_address[pba & 7])
        test_fail(EXIT_FAIL, "00:%02x.0: MSI-X table or PBA in an unassigned BAR", slot);
    if (mmio_read32(t + 12) != 1)
        test_fail(EXIT_FAIL, "00:%02x.0: MSI-X vector 0 not masked at reset (control 0x%x)", slot, mmio_read32(t + 12));
    mmio_write16(cfg + cap + 2, MSIX_ENABLE | MSIX_FUNCTION_MASK);
    u32 data = TEST_VECTOR, address = MSI_ADDRESS | (lapic_id() << 12);
    mmio_write32(t, address);
    mmio_write32(t + 4, 0);
    mmio_write32(t + 8, data);
    if (mmio_read32(t) != address || mmio_read32(t + 8) != data || mmio_read64(t) != address)
        test_fail(EXIT_FAIL, "00:%02x.0: MSI-X entry 0 reads 0x%x/0x%x", slot, mmio_read32(t), mmio_read32(t + 8));
    if (mmio_read32(p) != 0)
        test_fail(EXIT_FAIL, "00:%02x.0: PBA 0x%x with nothing signalled", slot, mmio_read32(p));
    if ((mmio_read16(cfg + cap + 2) & 0xc7ff) != (MSIX_ENABLE | MSIX_FUNCTION_MASK | (vectors - 1)))
        test_fail(EXIT_FAIL, "00:%02x.0: MSI-X control 0x%x", slot, mmio_read16(cfg + cap + 2));
    mmio_write16(cfg + cap + 2, 0);
    printf("pci: 00:%02x.0 msix %u vectors, table bar %u+0x%x, entry 0 programmed\n", slot, vectors, table & 7, table & ~7u);
}

static void probe(unsigned slot, u64 cfg, u64 *window_top, u64 window_base)
{
    u64 bar_address[6] = {0};
    for (unsigned bar = 0; bar < 6; bar++) {
        bool is64;
        u64 size = pci_bar_size(cfg, bar, &is64);
        if (!size)
            continue;
        u64 at = pci_bar_address(cfg, bar);
        if (at + size > FOUR_GIB) {
            u64 moved = (*window_top - size) & ~(size - 1);
            if (moved < window_base)
                test_fail(EXIT_FAIL, "00:%02x.0: no room below 4 GiB for BAR %u of 0x%lx bytes", slot, bar, size);
            pci_bar_set(cfg, bar, moved);
            if (pci_bar_address(cfg, bar) != moved)
                test_fail(EXIT_FAIL, "00:%02x.0: BAR %u reads 0x%lx after moving it to 0x%lx", slot, bar, pci_bar_address(cfg, bar), moved);
            printf("pci: 00:%02x.0 bar %u: 0x%lx bytes%s at 0x%lx, moved to 0x%lx\n", slot, bar, size, is64 ? " 64-bit" : "", at, moved);
            *window_top = moved;
            at = moved;
        } else {
            printf("pci: 00:%02x.0 bar %u: 0x%lx bytes%s at 0x%lx\n", slot, bar, size, is64 ? " 64-bit" : "", at);
        }
        bar_address[bar] = at;
        if (is64)
            bar++;
    }
    u8 cap = pci_find_cap(cfg, PCI_CAP_MSIX);
    if (!cap)
        return;
    u32 table = mmio_read32(cfg + cap + 4);
    u64 t = bar_address[table & 7] + (table & ~7u);
    if (bar_address[table & 7] && mmio_read32(t + 12) != 0xffffffffu)
        test_fail(EXIT_FAIL, "00:%02x.0: its BAR decodes before Memory Space Enable", slot);
    mmio_write16(cfg + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    check_msix(slot, cfg, cap, bar_address);
}

void scenario_pci(void)
{
    u64 ecam = pci_ecam();
    u64 base, top;
    if (!pci_window32(&base, &top))
        test_fail(EXIT_FAIL, "no 32-bit memory window in the host bridge's _CRS");
    printf("pci: ecam 0x%lx, window 0x%lx-0x%lx\n", ecam, base, top - 1);
    u32 id = mmio_read32(pci_cfg(ecam, 0));
    u32 class = mmio_read32(pci_cfg(ecam, 0) + PCI_CLASS_REV) >> 8;
    if (class != CLASS_HOST_BRIDGE || id == 0xffffffffu)
        test_fail(EXIT_FAIL, "00:00.0 is %04x:%04x class %06x, not a host bridge", id & 0xffff, id >> 16, class);
    if (mmio_read32(pci_cfg(ecam, 0) + (1 << 12)) != 0xffffffffu)
        test_fail(EXIT_FAIL, "00:00.1 answers: the host bridge is single-function");
    unsigned found = 0;
    for (unsigned slot = 0; slot < 32; slot++) {
        u64 cfg = pci_cfg(ecam, slot);
        id = mmio_read32(cfg);
        if (id == 0xffffffffu)
            continue;
        found++;
        class = mmio_read32(cfg + PCI_CLASS_REV) >> 8;
        printf("pci: 00:%02x.0 %04x:%04x class %06x\n", slot, id & 0xffff, id >> 16, class);
        if (slot)
            probe(slot, cfg, &top, base);
    }
    printf("pci: %u functions on bus 0\n", found);
    test_pass();
}
