package dev.ember.metrics;

import static dev.ember.metrics.GroupSchema.group;

import java.util.List;

/**
 * Firecracker's metrics line, declared once: every group and field its {@code FirecrackerMetrics}
 * struct serialises (x86_64), with its kind, so Ember's line has the same names and shapes from the
 * first flush on. Per-device kinds ({@link #BLOCK}, {@link #NET}, {@link #PMEM}) are templates: the
 * aggregate group ({@code block}) always exists, and each device adds {@code block_<drive_id>} with
 * the same fields. Device kinds are enums: a device indexes its counters by constant (the constant is
 * the field's name), so the names are written once. A few fields older Firecracker versions emitted are kept because Kata
 * Containers' decoder ({@code fc_metrics.go}) still reads them; they are marked "Kata".
 * Ember's own additions (e.g. {@code device_errors_<reason>}) are created by the code that counts
 * them, after these. docs/metrics.md says which fields Ember cannot have and keeps at zero.
 */
public final class FirecrackerMetrics {
    private FirecrackerMetrics() {}

    public static final GroupSchema API_SERVER = group("api_server")
            .stores("process_startup_time_us", "process_startup_time_cpu_us")
            .counters("sync_response_fails", "sync_vmm_send_timeout_count"); // Kata

    /** A balloon's counters. */
    public enum Balloon {
        ACTIVATE_FAILS, CFG_FAILS, INFLATE_COUNT, STATS_UPDATES_COUNT, STATS_UPDATE_FAILS, DEFLATE_COUNT, EVENT_FAILS,
        FREE_PAGE_REPORT_COUNT, FREE_PAGE_REPORT_FREED, FREE_PAGE_REPORT_FAILS, FREE_PAGE_HINT_COUNT, FREE_PAGE_HINT_FREED,
        FREE_PAGE_HINT_FAILS
    }

    public static final GroupSchema BALLOON = GroupSchema.of("balloon", Balloon.class);

    /** A drive's counters ({@code block} and {@code block_<drive_id>}). */
    public enum Block {
        ACTIVATE_FAILS, CFG_FAILS, NO_AVAIL_BUFFER, EVENT_FAILS, EXECUTE_FAILS, INVALID_REQS_COUNT, FLUSH_COUNT,
        QUEUE_EVENT_COUNT, RATE_LIMITER_EVENT_COUNT, UPDATE_COUNT, UPDATE_FAILS, READ_BYTES, WRITE_BYTES, READ_COUNT,
        WRITE_COUNT, READ_AGG, WRITE_AGG, RATE_LIMITER_THROTTLED_EVENTS, IO_ENGINE_THROTTLED_EVENTS, REMAINING_REQS_COUNT
    }

    public static final GroupSchema BLOCK = GroupSchema.of("block", Block.class);

    /**
     * A vhost-user block device's fields, declared per drive as {@code vhost_user_block_<drive_id>};
     * Firecracker emits no aggregate for vhost-user devices, so this template is not in {@link #ALL}.
     */
    public static final GroupSchema VHOST_USER_BLOCK = group("vhost_user_block")
            .counters("activate_fails", "cfg_fails").stores("init_time_us", "activate_time_us", "config_change_time_us");

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

    /** A network interface's counters ({@code net} and {@code net_<iface_id>}). */
    public enum Net {
        ACTIVATE_FAILS, CFG_FAILS, MAC_ADDRESS_UPDATES, NO_RX_AVAIL_BUFFER, NO_TX_AVAIL_BUFFER, EVENT_FAILS,
        RX_QUEUE_EVENT_COUNT, RX_EVENT_RATE_LIMITER_COUNT, RX_RATE_LIMITER_THROTTLED, RX_TAP_EVENT_COUNT, RX_BYTES_COUNT,
        RX_PACKETS_COUNT, RX_FAILS, RX_COUNT, TAP_READ_FAILS, TAP_WRITE_FAILS, TAP_WRITE_AGG, TX_BYTES_COUNT,
        TX_MALFORMED_FRAMES, TX_FAILS, TX_COUNT, TX_PACKETS_COUNT, TX_PARTIAL_READS, TX_QUEUE_EVENT_COUNT,
        TX_RATE_LIMITER_EVENT_COUNT, TX_RATE_LIMITER_THROTTLED, TX_SPOOFED_MAC_COUNT, TX_REMAINING_REQS_COUNT,
        /** Kata. */
        RX_PARTIAL_WRITES,
        /** Ember's own: frames larger than the guest's buffers, frames the MMDS stack took. */
        RX_FRAMES_TOO_BIG, TX_INTERCEPTED_FRAMES
    }

    public static final GroupSchema NET = GroupSchema.of("net", Net.class);

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

    /** The vsock device's counters. */
    public enum Vsock {
        ACTIVATE_FAILS, CFG_FAILS, RX_QUEUE_EVENT_FAILS, TX_QUEUE_EVENT_FAILS, EV_QUEUE_EVENT_FAILS, MUXER_EVENT_FAILS,
        CONN_EVENT_FAILS, RX_QUEUE_EVENT_COUNT, TX_QUEUE_EVENT_COUNT, RX_BYTES_COUNT, TX_BYTES_COUNT, RX_PACKETS_COUNT,
        TX_PACKETS_COUNT, CONNS_ADDED, CONNS_KILLED, CONNS_REMOVED, KILLQ_RESYNC, TX_FLUSH_FAILS, TX_WRITE_FAILS,
        RX_READ_FAILS
    }

    public static final GroupSchema VSOCK = GroupSchema.of("vsock", Vsock.class);

    /** The entropy device's counters. */
    public enum Entropy {
        ACTIVATE_FAILS, ENTROPY_EVENT_FAILS, ENTROPY_EVENT_COUNT, ENTROPY_BYTES, HOST_RNG_FAILS,
        ENTROPY_RATE_LIMITER_THROTTLED, RATE_LIMITER_EVENT_COUNT
    }

    public static final GroupSchema ENTROPY = GroupSchema.of("entropy", Entropy.class);

    /** A virtio-pmem device's counters ({@code pmem} and {@code pmem_<id>}). */
    public enum Pmem {
        ACTIVATE_FAILS, CFG_FAILS, EVENT_FAILS, QUEUE_EVENT_COUNT,
        /** Firecracker's newer flush rate limiter. */
        RATE_LIMITER_EVENT_COUNT, RATE_LIMITER_THROTTLED_EVENTS
    }

    public static final GroupSchema PMEM = GroupSchema.of("pmem", Pmem.class);

    public static final GroupSchema INTERRUPTS = group("interrupts")
            .counters("triggers", "config_updates");

    /** The virtio-mem device's counters (one device: {@code memory_hotplug} only). */
    public enum MemoryHotplug {
        ACTIVATE_FAILS, QUEUE_EVENT_FAILS, QUEUE_EVENT_COUNT, PLUG_AGG, PLUG_COUNT, PLUG_BYTES, PLUG_FAILS, UNPLUG_AGG,
        UNPLUG_COUNT, UNPLUG_BYTES, UNPLUG_FAILS, UNPLUG_DISCARD_FAILS, UNPLUG_ALL_AGG, UNPLUG_ALL_COUNT, UNPLUG_ALL_FAILS,
        STATE_AGG, STATE_COUNT, STATE_FAILS
    }

    public static final GroupSchema MEMORY_HOTPLUG = GroupSchema.of("memory_hotplug", MemoryHotplug.class);

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
