/* The tiny virtio-net driver the virtio-net scenarios share: one device, no offloads, no
 * MRG_RXBUF, so every frame carries a 12-byte virtio_net_hdr_v1. Frames use the IEEE "local
 * experimental" EtherType 0x88B5. */
#ifndef EMBER_VIRTIO_NET_H
#define EMBER_VIRTIO_NET_H

#include "virtio_queue.h"

#define NET_ETHERTYPE 0x88b5
#define NET_MIN_FRAME 60

struct net {
    struct vdev dev;
    struct vq rx, tx;
    u8 mac[6];
    u8 *rx_bufs;
    u8 *tx_page;
};

/* Finds the first virtio-net device, negotiates VIRTIO_NET_F_MAC, sets up both queues and
 * gives the device all receive buffers. */
void net_open(struct net *n);
/* Sends a 60-byte frame of NET_ETHERTYPE to `dst` carrying `text`; waits for its completion. */
void net_send(struct net *n, const u8 dst[6], const char *text);
/* Waits up to timeout_ms for a frame of NET_ETHERTYPE (others are given back to the device)
 * and returns its length without the virtio header, 0 on timeout. *frame points at it until
 * net_rx_done(n, *buf) gives the buffer back. */
u32 net_recv(struct net *n, unsigned timeout_ms, u8 **frame, u16 *buf);
void net_rx_done(struct net *n, u16 buf);
/* The frame's payload (after the Ethernet header) as text, up to the first non-printable byte. */
void net_payload_text(const u8 *frame, u32 len, char *text, u32 size);

#endif
