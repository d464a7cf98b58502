/* The scenario table: `ember.test=<name>` on the command line runs the matching entry.
 * To add a scenario, write its function in its own file (sc_<name>.c) and add a line here. */
#include "guest.h"

void scenario_hello(void);
void scenario_fail(void);
void scenario_bootinfo(void);
void scenario_boottimer(void);
void scenario_reset(void);
void scenario_echo(void);
void scenario_timer(void);
void scenario_idle(void);
void scenario_smp(void);
void scenario_virtio_blk(void);
void scenario_virtio_blk_ro(void);
void scenario_virtio_pci_blk(void);
void scenario_virtio_net(void);
void scenario_virtio_hostile(void);
void scenario_blk_bench(void);
void scenario_net_bench(void);
void scenario_virtio_blk_swap(void);
void scenario_virtio_net_burst(void);
void scenario_snapshot(void);
void scenario_snapshot_pci(void);
void scenario_virtio_vsock(void);
void scenario_vsock_snapshot(void);
void scenario_virtio_rng(void);
void scenario_virtio_balloon(void);
void scenario_acpi_poweroff(void);
void scenario_virtio_pmem(void);
void scenario_virtio_mem(void);
void scenario_cpuid(void);
void scenario_pci(void);

static const struct scenario scenarios[] = {
    {"hello", scenario_hello},
    {"fail", scenario_fail},
    {"bootinfo", scenario_bootinfo},
    {"boottimer", scenario_boottimer},
    {"reset", scenario_reset},
    {"echo", scenario_echo},
    {"timer", scenario_timer},
    {"idle", scenario_idle},
    {"smp", scenario_smp},
    {"virtio-blk", scenario_virtio_blk},
    {"virtio-blk-ro", scenario_virtio_blk_ro},
    {"virtio-pci-blk", scenario_virtio_pci_blk},
    {"virtio-net", scenario_virtio_net},
    {"virtio-hostile", scenario_virtio_hostile},
    {"blk-bench", scenario_blk_bench},
    {"net-bench", scenario_net_bench},
    {"virtio-blk-swap", scenario_virtio_blk_swap},
    {"virtio-net-burst", scenario_virtio_net_burst},
    {"snapshot", scenario_snapshot},
    {"snapshot-pci", scenario_snapshot_pci},
    {"virtio-vsock", scenario_virtio_vsock},
    {"vsock-snapshot", scenario_vsock_snapshot},
    {"virtio-rng", scenario_virtio_rng},
    {"virtio-balloon", scenario_virtio_balloon},
    {"acpi-poweroff", scenario_acpi_poweroff},
    {"virtio-pmem", scenario_virtio_pmem},
    {"virtio-mem", scenario_virtio_mem},
    {"cpuid", scenario_cpuid},
    {"pci", scenario_pci},
};

const struct scenario *scenario_find(const char *name)
{
    for (unsigned i = 0; i < ARRAY_SIZE(scenarios); i++)
        if (!strcmp(scenarios[i].name, name))
            return &scenarios[i];
    return NULL;
}
