/* virtio-mmio device windows as Linux learns them from the command line:
 *   virtio_mmio.device=<size>@<base>:<irq>[:<id>]   e.g. 4K@0xd0001000:5
 * Each window is probed once (magic, version, device id) so drivers can look devices up by
 * their virtio device id. */
#include "guest.h"
#include "virtio_mmio.h"

#define PARAM "virtio_mmio.device="

struct virtio_mmio_dev virtio_mmio_devs[VIRTIO_MMIO_MAX];
unsigned virtio_mmio_count;

/* Parses one value; false if it is malformed. */
static bool parse_device(const char *s, struct virtio_mmio_dev *d)
{
    const char *p;
    u64 size = parse_u64(s, &p);
    switch (*p) {
    case 'K': case 'k': size <<= 10; p++; break;
    case 'M': case 'm': size <<= 20; p++; break;
    case 'G': case 'g': size <<= 30; p++; break;
    }
    if (p == s || *p != '@' || size == 0)
        return false;
    s = p + 1;
    d->base = parse_u64(s, &p);
    if (p == s || *p != ':')
        return false;
    s = p + 1;
    d->irq = (u32)parse_u64(s, &p);
    if (p == s || (*p && *p != ' ' && *p != ':'))
        return false;
    d->size = size;
    return true;
}

void virtio_mmio_scan(void)
{
    virtio_mmio_count = 0;
    size_t plen = strlen(PARAM);
    for (const char *p = boot_cmdline; *p;) {
        while (*p == ' ')
            p++;
        if (!strncmp(p, PARAM, plen)) {
            struct virtio_mmio_dev d = {0};
            if (!parse_device(p + plen, &d))
                test_fail(EXIT_FAIL, "malformed %s on the command line", PARAM);
            if (virtio_mmio_count == VIRTIO_MMIO_MAX)
                test_fail(EXIT_FAIL, "more than %u virtio-mmio devices", VIRTIO_MMIO_MAX);
            if (mmio_read32(d.base + VIRTIO_MMIO_MAGIC_VALUE) == VIRTIO_MMIO_MAGIC) {
                d.version = mmio_read32(d.base + VIRTIO_MMIO_VERSION);
                d.device_id = mmio_read32(d.base + VIRTIO_MMIO_DEVICE_ID);
            }
            virtio_mmio_devs[virtio_mmio_count++] = d;
        }
        while (*p && *p != ' ')
            p++;
    }
}

struct virtio_mmio_dev *virtio_mmio_find(u32 device_id, unsigned nth)
{
    for (unsigned i = 0; i < virtio_mmio_count; i++)
        if (virtio_mmio_devs[i].device_id == device_id && nth-- == 0)
            return &virtio_mmio_devs[i];
    return NULL;
}
