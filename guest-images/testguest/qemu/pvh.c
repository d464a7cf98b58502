/* QEMU-only: translates the PVH hvm_start_info into the Linux boot_params fields the guest
 * reads (command line pointer and e820 table). */
#include "../guest.h"

#define HVM_START_MAGIC 0x336ec578
#define BP_E820_ENTRIES 0x1e8
#define BP_CMD_LINE_PTR 0x228
#define BP_E820_TABLE 0x2d0

struct hvm_memmap_entry {
    u64 addr;
    u64 size;
    u32 type;
    u32 reserved;
};

/* In .data, not .bss: _start clears .bss after this page has been filled. */
static u8 zero_page[4096] __attribute__((aligned(4096), section(".data.pvh")));

u64 pvh_make_zero_page(u64 start_info);
u64 pvh_make_zero_page(u64 start_info)
{
    if (mmio_read32(start_info) != HVM_START_MAGIC)
        return (u64)zero_page;
    u32 version = mmio_read32(start_info + 4);
    *(u32 *)(zero_page + BP_CMD_LINE_PTR) = (u32)mmio_read64(start_info + 24);
    if (version >= 1) {
        const struct hvm_memmap_entry *m = (const void *)mmio_read64(start_info + 40);
        u32 n = mmio_read32(start_info + 48);
        if (n > 128)
            n = 128;
        struct e820_entry *e = (struct e820_entry *)(zero_page + BP_E820_TABLE);
        for (u32 i = 0; i < n; i++) {
            e[i].addr = m[i].addr;
            e[i].size = m[i].size;
            e[i].type = m[i].type;
        }
        zero_page[BP_E820_ENTRIES] = (u8)n;
    }
    return (u64)zero_page;
}
