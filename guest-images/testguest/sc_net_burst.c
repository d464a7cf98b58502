/* virtio-net-burst: frames in both directions while the host throttles them (the tests PATCH
 * the interface's rate limiters after boot). Prints "EMBER-TEST: READY virtio-net-burst" once
 * its receive buffers are posted, waits up to 60 s for BURST_RX frames of EtherType 0x88B5
 * whose payload starts with "EMBER host frame", then sends BURST_TX broadcast frames
 * "EMBER burst frame <k>" (k = 1..BURST_TX), one at a time:
 *   virtio-net-burst: received 6 frames
 *   virtio-net-burst: sent 8 frames */
#include "virtio_net.h"

#define BURST_RX 6
#define BURST_TX 8

static const u8 BROADCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

void scenario_virtio_net_burst(void)
{
    struct net n;
    net_open(&n);
    printf("EMBER-TEST: READY virtio-net-burst\n");
    char text[64];
    for (unsigned k = 1; k <= BURST_RX; k++) {
        u8 *f;
        u16 buf;
        u32 len = net_recv(&n, 60000, &f, &buf);
        if (!len)
            test_fail(EXIT_FAIL, "frame %u of %u from the host did not arrive within 60 s", k, BURST_RX);
        net_payload_text(f, len, text, sizeof(text));
        if (strncmp(text, "EMBER host frame", 16))
            test_fail(EXIT_FAIL, "unexpected frame from the host: %s", text);
        net_rx_done(&n, buf);
    }
    printf("virtio-net-burst: received %u frames\n", BURST_RX);
    for (unsigned k = 1; k <= BURST_TX; k++) {
        snprintf(text, sizeof(text), "EMBER burst frame %u", k);
        net_send(&n, BROADCAST, text);
    }
    printf("virtio-net-burst: sent %u frames\n", BURST_TX);
}
