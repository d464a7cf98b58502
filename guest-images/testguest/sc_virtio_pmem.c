/* virtio-pmem (virtio 1.2, section 5.19) on the first pmem device, with a driver of its own:
 *   1. reads the region (config space start, size) and prints the host's bytes at offset 0
 *      (up to the first newline) and the byte at `ember.pmem_last=` (the file's last offset);
 *   2. writable device (no `ember.pmem=ro`): stores a line at offset 4096 and one at 1 MiB + 7,
 *      then FLUSH ({u32 type 0} + {u32 ret}): ret must be 0 and the used length 4;
 *      read-only device: stores a byte at offset 0 and reads the host's byte back (the store
 *      is discarded);
 *   3. a request of type 7 is answered with nothing (used length 0) and the device goes on.
 * With `ember.pmem_wait=1` it prints "EMBER-TEST: READY virtio-pmem" after step 1 and waits for
 * a byte of serial input (the host snapshots the VM meanwhile and loads it in another process).
 * Output lines start with "virtio-pmem: ". */
#include "virtio_queue.h"

#define QSIZE 8
#define TYPE_FLUSH 0
#define GUEST_LINE "EMBER-PMEM-GUEST wrote this line\n"

struct pmem {
    struct vdev dev;
    struct vq q;
    volatile u32 *req;  /* u32 type */
    volatile u32 *resp; /* u32 ret */
};

/* One request: returns the used length; ret is in *p->resp. */
static u32 request(struct pmem *p, u32 type)
{
    *p->req = type;
    *p->resp = 0x69;
    p->q.desc[0] = (struct vring_desc){(u64)p->req, 4, VRING_DESC_F_NEXT, 1};
    p->q.desc[1] = (struct vring_desc){(u64)p->resp, 4, VRING_DESC_F_WRITE, 0};
    volatile struct vring_used_elem *e = vq_request(&p->dev, &p->q, "a pmem request");
    if (e->id != 0)
        test_fail(EXIT_FAIL, "completion for descriptor %u, expected 0", e->id);
    return e->len;
}

void scenario_virtio_pmem(void)
{
    struct pmem p;
    memset(&p, 0, sizeof(p));
    vdev_open(&p.dev, VIRTIO_ID_PMEM, "virtio-pmem", 0);
    vq_setup(&p.dev, &p.q, 0, QSIZE);
    vdev_driver_ok(&p.dev);
    u8 *page = page_alloc(1);
    p.req = (volatile u32 *)page;
    p.resp = (volatile u32 *)(page + 64);

    u64 start = vdev_config64(&p.dev, 0), size = vdev_config64(&p.dev, 8);
    printf("virtio-pmem: cmdline: %s\n", boot_cmdline);
    printf("virtio-pmem: start 0x%lx size 0x%lx\n", start, size);
    if (start < 0x100000000UL || start + size > 0x200000000UL || (start | size) & 0x1fffff)
        test_fail(EXIT_FAIL, "the region is not 2 MiB aligned between 4 and 8 GiB (the guest maps only that)");
    volatile u8 *region = (volatile u8 *)start;

    char host[81];
    unsigned n = 0;
    while (n < 80 && region[n] != '\n' && region[n] != 0) {
        host[n] = (char)region[n];
        n++;
    }
    host[n] = 0;
    printf("virtio-pmem: host wrote: %s\n", host);
    char arg[24];
    if (cmdline_get("ember.pmem_last", arg, sizeof(arg))) {
        u64 last = parse_u64(arg, NULL);
        printf("virtio-pmem: byte at %lu is 0x%x, at %lu is 0x%x\n", last, region[last], last + 1, region[last + 1]);
    }

    if (cmdline_get("ember.pmem_wait", arg, sizeof(arg)) && !strcmp(arg, "1")) {
        serial_input_start();
        printf("EMBER-TEST: READY virtio-pmem\n");
        serial_wait_byte();
    }

    bool ro = cmdline_get("ember.pmem", arg, sizeof(arg)) && !strcmp(arg, "ro");
    if (ro) {
        u8 before = region[0];
        region[0] = (u8)(before ^ 0xff);
        printf("virtio-pmem: read-only: stored 0x%x at 0, read back 0x%x\n", before ^ 0xff, region[0]);
    } else {
        static const char line[] = GUEST_LINE;
        for (unsigned i = 0; i < sizeof(line) - 1; i++) {
            region[4096 + i] = (u8)line[i];
            region[0x100000 + 7 + i] = (u8)line[i];
        }
        u32 len = request(&p, TYPE_FLUSH);
        printf("virtio-pmem: flush: used length %u, ret %u\n", len, *p.resp);
        if (len != 4 || *p.resp != 0)
            test_fail(EXIT_FAIL, "FLUSH failed");
    }

    u32 len = request(&p, 7);
    if (len != 0 || *p.resp != 0x69)
        test_fail(EXIT_FAIL, "a request of type 7 got used length %u, ret 0x%x", len, *p.resp);
    if (vdev_read(&p.dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET)
        test_fail(EXIT_FAIL, "device needs reset after an unknown request type");
    printf("virtio-pmem: a request of type 7 is answered with nothing\n");
    if (!ro) {
        len = request(&p, TYPE_FLUSH);
        printf("virtio-pmem: second flush: used length %u, ret %u\n", len, *p.resp);
    }
}
