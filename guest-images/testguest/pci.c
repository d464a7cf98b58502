/* PCI bus 0 through ECAM: where the VMM says it is (ACPI MCFG), its memory window (the host
 * bridge's _CRS in the DSDT), and the few configuration-space operations a driver needs. */
#include "guest.h"

#define MCFG_ENTRY 44
#define DWORD_MEMORY 0x87

u64 pci_ecam(void)
{
    const u8 *mcfg = acpi_find_table("MCFG");
    if (!mcfg)
        test_fail(EXIT_FAIL, "no MCFG table: was ember started with --enable-pci?");
    if (*(const u32 *)(mcfg + 4) < MCFG_ENTRY + 16)
        test_fail(EXIT_FAIL, "MCFG has no allocation entry");
    u16 segment = *(const u16 *)(mcfg + MCFG_ENTRY + 8);
    u8 first = mcfg[MCFG_ENTRY + 10], last = mcfg[MCFG_ENTRY + 11];
    if (segment != 0 || first != 0)
        test_fail(EXIT_FAIL, "MCFG allocation: segment %u buses %u-%u", segment, first, last);
    return *(const u64 *)(mcfg + MCFG_ENTRY);
}

/* A DWordMemory descriptor: tag 0x87, length 23, resource type 0 (memory); Min at +10, Max at +14. */
bool pci_window32(u64 *base, u64 *end)
{
    const u8 *fadt = acpi_find_table("FACP");
    if (!fadt)
        return false;
    const u8 *dsdt = (const u8 *)*(const u64 *)(fadt + 140);
    u32 len = *(const u32 *)(dsdt + 4);
    for (u32 i = 36; i + 26 <= len; i++) {
        if (dsdt[i] == DWORD_MEMORY && dsdt[i + 1] == 23 && dsdt[i + 2] == 0 && dsdt[i + 3] == 0) {
            *base = *(const u32 *)(dsdt + i + 10);
            *end = (u64) * (const u32 *)(dsdt + i + 14) + 1;
            return true;
        }
    }
    return false;
}

u64 pci_bar_address(u64 cfg, unsigned bar)
{
    u32 low = mmio_read32(cfg + PCI_BAR0 + 4 * bar);
    u64 a = low & ~0xfu;
    if ((low & 0x6) == 0x4)
        a |= (u64)mmio_read32(cfg + PCI_BAR0 + 4 * bar + 4) << 32;
    return a;
}

u64 pci_bar_size(u64 cfg, unsigned bar, bool *is64)
{
    u64 reg = cfg + PCI_BAR0 + 4 * bar;
    u16 command = mmio_read16(cfg + PCI_COMMAND);
    mmio_write16(cfg + PCI_COMMAND, command & ~PCI_COMMAND_MEMORY);
    u32 low = mmio_read32(reg);
    *is64 = (low & 0x6) == 0x4;
    u32 high = *is64 ? mmio_read32(reg + 4) : 0;
    mmio_write32(reg, 0xffffffffu);
    u64 mask = mmio_read32(reg) & ~0xfu;
    if (*is64) {
        mmio_write32(reg + 4, 0xffffffffu);
        mask |= (u64)mmio_read32(reg + 4) << 32;
        mmio_write32(reg + 4, high);
    } else if (mask) {
        mask |= 0xffffffff00000000UL;
    }
    mmio_write32(reg, low);
    mmio_write16(cfg + PCI_COMMAND, command);
    return mask ? ~mask + 1 : 0; /* an unimplemented BAR keeps reading 0 */
}

void pci_bar_set(u64 cfg, unsigned bar, u64 address)
{
    u64 reg = cfg + PCI_BAR0 + 4 * bar;
    u32 low = mmio_read32(reg);
    mmio_write32(reg, (u32)address | (low & 0xf));
    if ((low & 0x6) == 0x4)
        mmio_write32(reg + 4, (u32)(address >> 32));
}

u8 pci_find_cap(u64 cfg, u8 id)
{
    if (!(mmio_read16(cfg + 0x06) & 0x10))
        return 0;
    u8 at = mmio_read8(cfg + PCI_CAP_PTR);
    for (unsigned hops = 0; at && hops < 48; hops++) {
        if (mmio_read8(cfg + at) == id)
            return at;
        at = mmio_read8(cfg + at + 1);
    }
    return 0;
}
