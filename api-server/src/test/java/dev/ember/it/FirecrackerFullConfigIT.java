package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config file in Firecracker's full format, every section it knows filled in (issue 16's
 * "a Firecracker full-format config file with every section boots"): the real {@code bin/ember}
 * starts the VM with all of them, and the test guest, whose console goes to the serial section's
 * file, reads entropy from the virtio-rng device among all the others; the logger and metrics
 * sections' files are written.
 */
@NeedsKvm
class FirecrackerFullConfigIT {
    private static final Duration BOOT = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @Test
    void aConfigFileWithEverySectionBoots() throws Exception {
        Path drive = Files.write(dir.resolve("data.img"), new byte[1 << 20]);
        Path pmem = Files.write(dir.resolve("pmem.img"), new byte[2 << 20]);
        Path template = Files.writeString(dir.resolve("cpu.json"), """
                {"cpuid_modifiers": [{"leaf": "0x1", "subleaf": "0x0", "flags": 0,
                  "modifiers": [{"register": "eax", "bitmap": "0b1010"}]}],
                 "msr_modifiers": []}""");
        Path log = Files.createFile(dir.resolve("ember.log"));
        Path metrics = Files.createFile(dir.resolve("metrics.json"));
        Path serial = dir.resolve("serial.out");
        try (NetnsTap net = NetnsTap.create("ftap0")) {
            String json = """
                    {
                      "boot-source": {"kernel_image_path": "%s", "boot_args": "console=ttyS0 ember.test=virtio-rng", "initrd_path": null},
                      "cpu-config": "%s",
                      "drives": [{"drive_id": "data", "path_on_host": "%s", "is_root_device": false, "partuuid": null,
                                  "is_read_only": false, "cache_type": "Unsafe", "io_engine": "Sync", "rate_limiter": null}],
                      "machine-config": {"vcpu_count": 1, "mem_size_mib": 128, "smt": false, "track_dirty_pages": false,
                                         "huge_pages": "None"},
                      "balloon": {"amount_mib": 0, "deflate_on_oom": false, "stats_polling_interval_s": 1},
                      "network-interfaces": [{"iface_id": "eth0", "host_dev_name": "%s", "guest_mac": "06:00:AC:10:00:02",
                                              "rx_rate_limiter": null, "tx_rate_limiter": null}],
                      "vsock": {"guest_cid": 3, "uds_path": "%s"},
                      "logger": {"log_path": "%s", "level": "Info", "show_level": true, "show_log_origin": false},
                      "metrics": {"metrics_path": "%s"},
                      "mmds-config": {"version": "V2", "network_interfaces": ["eth0"], "ipv4_address": "169.254.169.254"},
                      "entropy": {"rate_limiter": null},
                      "pmem": [{"id": "pm0", "path_on_host": "%s", "root_device": false, "read_only": false}],
                      "memory-hotplug": {"total_size_mib": 1024, "block_size_mib": 2, "slot_size_mib": 128},
                      "serial": {"serial_out_path": "%s"}
                    }
                    """.formatted(TestGuests.image(), template, drive, net.tap, dir.resolve("v.sock"), log, metrics, pmem, serial);
            Path cfg = Files.writeString(dir.resolve("full.json"), json);
            try (EmberProcess vm = EmberProcess.startVia(net.launcher(), "--no-api", "--config-file", cfg.toString())) {
                assertEquals(0, vm.awaitExit(BOOT), vm.describe());
                String console = Files.readString(serial);
                assertTrue(console.contains("EMBER-TEST: PASS virtio-rng"), "the guest's console (serial_out_path):\n" + console
                        + "\n" + vm.describe());
                String metricsLine = Files.readString(metrics);
                for (String group : new String[] {"\"block\"", "\"net\"", "\"vsock\"", "\"entropy\"", "\"balloon\"", "\"pmem\"",
                    "\"memory_hotplug\"", "\"mmds\""}) {
                    assertTrue(metricsLine.contains(group), group + " in the metrics file: " + metricsLine);
                }
                assertTrue(Files.size(log) > 0, "the logger section's file was written\n" + vm.describe());
            }
        }
    }
}
