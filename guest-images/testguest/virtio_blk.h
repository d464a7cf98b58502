/* virtio-blk request format (virtio 1.2, 5.2.6) and the tiny driver the scenarios share. */
#ifndef EMBER_VIRTIO_BLK_H
#define EMBER_VIRTIO_BLK_H

#include "virtio_queue.h"

#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1

struct blk_req_hdr {
    u32 type;
    u32 reserved;
    u64 sector;
};

struct blk {
    struct virtio_mmio_dev *mmio;
    struct vdev dev;
    struct vq q;
    struct blk_req_hdr *hdr;
    volatile u8 *status;
    u64 capacity;
};

/* Finds the first virtio-blk device, negotiates (offered & wanted), sets up queue 0. */
void blk_open(struct blk *b, u64 wanted);
/* Re-initialises the device found by blk_open (after a reset). */
void blk_start(struct blk *b, u64 wanted);
/* One request through descriptors 0-2: header, data (len 0: none), status. Returns the status. */
u8 blk_rw(struct blk *b, u32 type, u64 sector, void *data, u32 len);

/* The same over virtio-pci (sc_virtio_pci.c, ember --enable-pci): finds the first virtio-blk
 * function, negotiates (offered & wanted) | VERSION_1 with MSI-X vectors for configuration (0)
 * and queue 0 (1), sets up queue 0; returns the capacity in sectors. */
u64 vpci_blk_open(u32 wanted);
u8 vpci_blk_rw(u32 type, u64 sector, void *data, u32 len);
u32 vpci_queue_irqs(void);   /* MSI-X messages taken on queue 0's vector */

#endif
