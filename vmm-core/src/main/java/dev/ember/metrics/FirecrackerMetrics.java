package dev.ember.metrics;

import static dev.ember.metrics.GroupSchema.group;

import java.util.List;

/**
 * Firecracker's metrics line, declared once: every group and field its {@code FirecrackerMetrics}
 * struct serialises (x86_64), with its kind, so Ember's line has the same names and shapes from the
 * first flush on. Per-device kinds ({@link #BLOCK}, {@link #NET}, {@link #PMEM}) are templates: the
 * aggregate group ({@code block}) always exists, and each device adds {@code block_<drive_id>} with
 * the same fields. A few fields older Firecracker versions emitted are kept because Kata
 * Containers' decoder ({@code fc_metrics.go}) still reads them; they are marked "Kata".
 * Ember's own additions (e.g. {@code device_errors_<reason>}) are created by the code that counts
 * them, after these. docs/metrics.md says which fields Ember cannot have and keeps at zero.
 */
public final class FirecrackerMetrics {
    private FirecrackerMetrics() {}

    public static final GroupSchema API_SERVER = group("api_server")
            .stores("process_startup_time_us", "process_startup_time_cpu_us")
            .counters("sync_response_fails", "sync_vmm_send_timeout_count"); // Kata

    public static final GroupSchema BALLOON = group("balloon")
            .counters("activate_fails", "cfg_fails", "inflate_count", "stats_updates_count", "stats_update_fails",
                    "deflate_count", "event_fails", "free_page_report_count", "free_page_report_freed",
                    "free_page_report_fails", "free_page_hint_count", "free_page_hint_freed", "free_page_hint_fails");

    public static final GroupSchema BLOCK = group("block")
            .counters("activate_fails", "cfg_fails", "no_avail_buffer", "event_fails", "execute_fails", "invalid_reqs_count",
                    "flush_count", "queue_event_count", "rate_limiter_event_count", "update_count", "update_fails",
                    "read_bytes", "write_bytes", "read_count", "write_count")
            .latencies("read_agg", "write_agg")
            .counters("rate_limiter_throttled_events", "io_engine_throttled_events", "remaining_reqs_count");

    public static final GroupSchema DEPRECATED_API = group("deprecated_api")
            .counters("deprecated_http_api_calls");

    public static final GroupSchema GET_API_REQUESTS = group("get_api_requests")
            .counters("instance_info_count", "machine_cfg_count", "mmds_count", "vmm_version_count", "hotplug_memory_count",
                    "instance_info_fails", "machine_cfg_fails"); // the last two: Kata

    public static final GroupSchema I8042 = group("i8042")
            .counters("error_count", "missed_read_count", "missed_write_count", "read_count", "reset_count", "write_count");

    public static final GroupSchema UART = group("uart")
            .counters("error_count", "flush_count", "missed_read_count", "missed_write_count", "read_count", "write_count");

    /** Firecracker's aarch64 RTC; x86_64 has none, but Kata decodes the group. */
    public static final GroupSchema RTC = group("rtc")
            .counters("error_count", "missed_read_count", "missed_write_count");

    public static final GroupSchema LATENCIES_US = group("latencies_us")
            .stores("full_create_snapshot", "diff_create_snapshot", "load_snapshot", "pause_vm", "resume_vm",
                    "vmm_full_create_snapshot", "vmm_diff_create_snapshot", "vmm_load_snapshot", "vmm_pause_vm", "vmm_resume_vm");

    public static final GroupSchema LOGGER = group("logger")
            .counters("missed_metrics_count", "metrics_fails", "missed_log_count",
                    "log_fails"); // Kata

    public static final GroupSchema MMDS = group("mmds")
            .counters("rx_accepted", "rx_accepted_err", "rx_accepted_unusual", "rx_bad_eth", "rx_invalid_token", "rx_no_token",
                    "rx_count", "tx_bytes", "tx_count", "tx_errors", "tx_frames", "connections_created", "connections_destroyed");

    public static final GroupSchema NET = group("net")
            .counters("activate_fails", "cfg_fails", "mac_address_updates", "no_rx_avail_buffer", "no_tx_avail_buffer",
                    "event_fails", "rx_queue_event_count", "rx_event_rate_limiter_count", "rx_rate_limiter_throttled",
                    "rx_tap_event_count", "rx_bytes_count", "rx_packets_count", "rx_fails", "rx_count", "tap_read_fails",
                    "tap_write_fails")
            .latencies("tap_write_agg")
            .counters("tx_bytes_count", "tx_malformed_frames", "tx_fails", "tx_count", "tx_packets_count", "tx_partial_reads",
                    "tx_queue_event_count", "tx_rate_limiter_event_count", "tx_rate_limiter_throttled", "tx_spoofed_mac_count",
                    "tx_remaining_reqs_count",
                    "rx_partial_writes"); // Kata

    public static final GroupSchema PATCH_API_REQUESTS = group("patch_api_requests")
            .counters("drive_count", "drive_fails", "network_count", "network_fails", "machine_cfg_count", "machine_cfg_fails",
                    "mmds_count", "mmds_fails", "hotplug_memory_count", "hotplug_memory_fails", "pmem_count", "pmem_fails");

    public static final GroupSchema PUT_API_REQUESTS = group("put_api_requests")
            .counters("actions_count", "actions_fails", "boot_source_count", "boot_source_fails", "drive_count", "drive_fails",
                    "logger_count", "logger_fails", "machine_cfg_count", "machine_cfg_fails", "cpu_cfg_count", "cpu_cfg_fails",
                    "metrics_count", "metrics_fails", "network_count", "network_fails", "mmds_count", "mmds_fails",
                    "vsock_count", "vsock_fails", "pmem_count", "pmem_fails", "serial_count", "serial_fails",
                    "hotplug_memory_count", "hotplug_memory_fails");

    public static final GroupSchema SECCOMP = group("seccomp")
            .stores("num_faults");

    public static final GroupSchema VCPU = group("vcpu")
            .counters("exit_io_in", "exit_io_out", "exit_mmio_read", "exit_mmio_write", "failures", "kvmclock_ctrl_fails")
            .latencies("exit_io_in_agg", "exit_io_out_agg", "exit_mmio_read_agg", "exit_mmio_write_agg")
            .counters("filter_cpuid"); // Kata

    public static final GroupSchema VMM = group("vmm")
            .stores("panic_count")
            .counters("device_events"); // Kata

    /** A deadly signal is reported as 0 or 1 (stored); SIGPIPE, which is survived, is counted. */
    public static final GroupSchema SIGNALS = group("signals")
            .stores("sigbus", "sigsegv", "sigxfsz", "sigxcpu")
            .counters("sigpipe")
            .stores("sighup", "sigill");

    public static final GroupSchema VSOCK = group("vsock")
            .counters("activate_fails", "cfg_fails", "rx_queue_event_fails", "tx_queue_event_fails", "ev_queue_event_fails",
                    "muxer_event_fails", "conn_event_fails", "rx_queue_event_count", "tx_queue_event_count", "rx_bytes_count",
                    "tx_bytes_count", "rx_packets_count", "tx_packets_count", "conns_added", "conns_killed", "conns_removed",
                    "killq_resync", "tx_flush_fails", "tx_write_fails", "rx_read_fails");

    public static final GroupSchema ENTROPY = group("entropy")
            .counters("activate_fails", "entropy_event_fails", "entropy_event_count", "entropy_bytes", "host_rng_fails",
                    "entropy_rate_limiter_throttled", "rate_limiter_event_count");

    public static final GroupSchema PMEM = group("pmem")
            .counters("activate_fails", "cfg_fails", "event_fails", "queue_event_count",
                    "rate_limiter_event_count", "rate_limiter_throttled_events"); // Firecracker's newer flush rate limiter

    public static final GroupSchema INTERRUPTS = group("interrupts")
            .counters("triggers", "config_updates");

    public static final GroupSchema MEMORY_HOTPLUG = group("memory_hotplug")
            .counters("activate_fails", "queue_event_fails", "queue_event_count")
            .latencies("plug_agg")
            .counters("plug_count", "plug_bytes", "plug_fails")
            .latencies("unplug_agg")
            .counters("unplug_count", "unplug_bytes", "unplug_fails", "unplug_discard_fails")
            .latencies("unplug_all_agg")
            .counters("unplug_all_count", "unplug_all_fails")
            .latencies("state_agg")
            .counters("state_count", "state_fails");

    /** Every group of the line (per-device kinds as their aggregate). */
    public static final List<GroupSchema> ALL = List.of(API_SERVER, BALLOON, BLOCK, DEPRECATED_API, GET_API_REQUESTS, I8042,
            UART, RTC, LATENCIES_US, LOGGER, MMDS, NET, PATCH_API_REQUESTS, PUT_API_REQUESTS, SECCOMP, VCPU, VMM, SIGNALS,
            VSOCK, ENTROPY, PMEM, INTERRUPTS, MEMORY_HOTPLUG);

    /** Creates every group with every field; idempotent. */
    public static void declare() {
        for (GroupSchema g : ALL) {
            g.declare();
        }
    }
}
