/* Copies what the guest needs out of the Linux boot_params zero page (see the kernel's
 * Documentation/arch/x86/zero-page.rst), so low memory is free for reuse afterwards. */
#include "guest.h"

#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_CMD_LINE_PTR 0x228
#define BP_CMDLINE_SIZE 0x238
#define BP_E820_TABLE 0x2d0
#define BP_E820_TABLE_MAX 128

char boot_cmdline[2048];
struct e820_entry boot_e820[E820_MAX];
unsigned boot_e820_count;
u64 boot_params_addr;

void bootparams_read(u64 zp)
{
    boot_params_addr = zp;
    u64 cmdline = mmio_read32(zp + BP_CMD_LINE_PTR) | ((u64)mmio_read32(zp + BP_EXT_CMD_LINE_PTR) << 32);
    if (cmdline) {
        const char *src = (const char *)cmdline;
        size_t n = 0;
        while (n + 1 < sizeof(boot_cmdline) && src[n])
            n++;
        memcpy(boot_cmdline, src, n);
        boot_cmdline[n] = '\0';
    }
    unsigned count = mmio_read8(zp + BP_E820_ENTRIES);
    if (count > BP_E820_TABLE_MAX)
        count = BP_E820_TABLE_MAX;
    memcpy(boot_e820, (const void *)(zp + BP_E820_TABLE), count * sizeof(struct e820_entry));
    boot_e820_count = count;
}

bool cmdline_get(const char *key, char *buf, size_t size)
{
    size_t klen = strlen(key);
    const char *p = boot_cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *tok = p;
        while (*p && *p != ' ')
            p++;
        if ((size_t)(p - tok) > klen && !strncmp(tok, key, klen) && tok[klen] == '=') {
            const char *v = tok + klen + 1;
            size_t n = (size_t)(p - v);
            if (n + 1 > size)
                n = size - 1;
            memcpy(buf, v, n);
            buf[n] = '\0';
            return true;
        }
    }
    return false;
}
