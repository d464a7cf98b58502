/* Page allocator: hands out 4 KiB pages from e820 RAM between the end of the image and
 * 4 GiB (the identity-mapped range), skipping any initrd. Pages are never freed. */
#include "guest.h"

#define ONE_MIB 0x100000UL
#define FOUR_GIB 0x100000000UL
#define BP_RAMDISK_IMAGE 0x218
#define BP_RAMDISK_SIZE 0x21c

static unsigned region;   /* index into boot_e820 */
static u64 next;          /* next free byte in that region */
static u64 ramdisk_start, ramdisk_end;

static u64 align_up(u64 v, u64 a) { return (v + a - 1) & ~(a - 1); }

void mem_init(void)
{
    region = 0;
    next = 0;
    ramdisk_start = mmio_read32(boot_params_addr + BP_RAMDISK_IMAGE);
    ramdisk_end = ramdisk_start + mmio_read32(boot_params_addr + BP_RAMDISK_SIZE);
}

/* First usable byte of region i at or after `from`, or 0 if the region has none. */
static u64 region_floor(unsigned i, u64 from)
{
    const struct e820_entry *e = &boot_e820[i];
    u64 lo = e->addr > from ? e->addr : from;
    u64 floor = (u64)__image_end > ONE_MIB ? (u64)__image_end : ONE_MIB;
    return align_up(lo > floor ? lo : floor, PAGE_SIZE);
}

static u64 region_end(unsigned i)
{
    u64 end = boot_e820[i].addr + boot_e820[i].size;
    return (end > FOUR_GIB ? FOUR_GIB : end) & ~(PAGE_SIZE - 1);
}

void *page_alloc(unsigned npages)
{
    void *p = page_alloc_uninit(npages);
    memset(p, 0, (u64)npages * PAGE_SIZE);
    return p;
}

/* Clearing costs one emulated store per byte under PVM (rep stosb runs byte by byte there):
 * about a second per MiB. Large data buffers that the caller fills itself skip it. */
void *page_alloc_uninit(unsigned npages)
{
    u64 bytes = (u64)npages * PAGE_SIZE;
    for (; region < boot_e820_count; region++, next = 0) {
        if (boot_e820[region].type != E820_RAM)
            continue;
        u64 start = region_floor(region, next);
        if (ramdisk_end > ramdisk_start && start < ramdisk_end && start + bytes > ramdisk_start)
            start = align_up(ramdisk_end, PAGE_SIZE);
        if (start + bytes <= region_end(region)) {
            next = start + bytes;
            return (void *)start;
        }
    }
    test_fail(EXIT_FAIL, "out of guest memory allocating %u pages", npages);
}

u64 mem_free_bytes(void)
{
    u64 total = 0;
    for (unsigned i = region; i < boot_e820_count; i++) {
        if (boot_e820[i].type != E820_RAM)
            continue;
        u64 start = region_floor(i, i == region ? next : 0), end = region_end(i);
        if (end > start)
            total += end - start;
    }
    return total;
}
