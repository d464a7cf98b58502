package dev.ember.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a microVM is built from (Firecracker's VmResources), shared by the config file and
 * the API. Sections are immutable records; each set/put/update validates the new value against
 * the rest and throws {@link ConfigException} without changing anything when it is rejected.
 * Thread-safe: the API thread and the composition root may both read it.
 */
public final class VmResources implements VmConfigFile.Sections {
    /** Firecracker's default for both the HTTP payload limit and the MMDS data store limit. */
    public static final int DEFAULT_MMDS_SIZE_LIMIT = 51200;

    private BootSourceConfig bootSource;
    private MachineConfig machineConfig = MachineConfig.DEFAULT;
    /** Root device first, then in insertion order (Firecracker's block device ordering). */
    private final List<DriveConfig> drives = new ArrayList<>();
    private final Map<String, NetworkInterfaceConfig> networkInterfaces = new LinkedHashMap<>();
    /** In insertion order: the guest names them /dev/pmem0, /dev/pmem1, ... (Firecracker). */
    private final List<PmemConfig> pmem = new ArrayList<>();
    private VsockConfig vsock;
    private BalloonConfig balloon;
    private EntropyConfig entropy;
    private MemoryHotplugConfig memoryHotplug;
    private LoggerConfig logger;
    private MetricsConfig metrics;
    private MmdsConfig mmdsConfig;
    private SerialConfig serial;
    private CpuConfig cpuConfig;
    private final MmdsDataStore mmds = new MmdsDataStore(DEFAULT_MMDS_SIZE_LIMIT);
    private boolean bootTimer;
    private boolean pciEnabled;
    private int consoleEscape = -1;
    /** Set by any boot-specific change; a snapshot may only be loaded into a fresh process. */
    private boolean bootConfigured;

    // ---- boot source -------------------------------------------------------------------

    public synchronized BootSourceConfig bootSource() {
        return bootSource;
    }

    public synchronized void setBootSource(BootSourceConfig config) throws ConfigException {
        Check.required(config, "boot-source");
        config.validate();
        bootSource = config;
        bootConfigured = true;
    }

    // ---- machine config ----------------------------------------------------------------

    public synchronized MachineConfig machineConfig() {
        return machineConfig;
    }

    /** PUT semantics: every optional field not given goes back to its default. */
    public synchronized void setMachineConfig(MachineConfig config) throws ConfigException {
        Check.required(config, "machine-config");
        config.validate();
        checkBalloonFits(config);
        machineConfig = config;
        dropCustomTemplateFor(config.cpuTemplate());
        bootConfigured = true;
    }

    /** One CPU template at a time, as in Firecracker: a static one replaces a custom one and the reverse. */
    private void dropCustomTemplateFor(CpuTemplate staticTemplate) {
        if (staticTemplate != null) {
            cpuConfig = null;
        }
    }

    /** PATCH semantics: only the given fields change; the result is validated as a whole. */
    public synchronized void updateMachineConfig(MachineConfigUpdate update) throws ConfigException {
        Check.required(update, "machine-config");
        if (update.isEmpty()) {
            throw new ConfigException(ConfigException.Reason.MISSING_FIELD, "Empty PATCH request. (give at least one machine-config field to change)");
        }
        MachineConfig merged = machineConfig.apply(update);
        merged.validate();
        checkBalloonFits(merged);
        machineConfig = merged;
        dropCustomTemplateFor(merged.cpuTemplate());
        if (update.cpuTemplate() == CpuTemplate.None) {
            cpuConfig = null; // "None" clears whichever template was set (Firecracker)
        }
        bootConfigured = true;
    }

    private void checkBalloonFits(MachineConfig config) throws ConfigException {
        if (balloon != null && Long.compareUnsigned(balloon.amountMib(), config.memSizeMib()) > 0) {
            throw new ConfigException("The memory size (MiB) is smaller than the previously set balloon device target size."
                    + " (machine-config.mem_size_mib is " + UnsignedMib.toString(config.memSizeMib()) + ", balloon.amount_mib is "
                    + balloon.amountMib() + "; raise mem_size_mib or shrink the balloon first)");
        }
        if (balloon != null && config.hugePages() == HugePages.Hugetlbfs2M) {
            throw new ConfigException(ConfigException.Reason.CONFLICT, "Firecracker's huge pages support is incompatible with memory ballooning."
                    + " (machine-config.huge_pages 2M with a balloon configured; remove the balloon or keep huge_pages None)");
        }
    }

    // ---- drives ------------------------------------------------------------------------

    /** Whether a drive is served by a vhost-user back-end (guest RAM must then be shareable). */
    public synchronized boolean vhostUserDrives() {
        for (DriveConfig d : drives) {
            if (d.vhostUser()) {
                return true;
            }
        }
        return false;
    }

    public synchronized List<DriveConfig> drives() {
        return List.copyOf(drives);
    }

    /**
     * Whether {@link #putDrive} would take {@code drive}, without recording it: the controller
     * checks first so that what PUT opens (a vhost-user connection) is only opened for a drive
     * that will be recorded.
     */
    public synchronized void checkDrive(DriveConfig drive) throws ConfigException {
        Check.required(drive, "drive");
        drive.validate();
        int index = driveIndex(drive.driveId());
        boolean hasRoot = !drives.isEmpty() && drives.get(0).root();
        PmemConfig pmemRoot = pmemRoot();
        if (drive.root() && pmemRoot != null) {
            throw new ConfigException(ConfigException.Reason.CONFLICT, "Attempt to add block as a root device while the root device defined as a pmem device"
                    + " (pmem \"" + pmemRoot.id() + "\" is the root device; set is_root_device to false for \"" + drive.driveId() + "\")");
        }
        if (drive.root() && hasRoot && index != 0) {
            throw new ConfigException(ConfigException.Reason.CONFLICT, "A root block device already exists! (drive \"" + drives.get(0).driveId()
                    + "\" is the root device; set is_root_device to false for \"" + drive.driveId() + "\")");
        }
    }

    /** Inserts or replaces the drive with this id; at most one root device, kept first. */
    public synchronized void putDrive(DriveConfig drive) throws ConfigException {
        checkDrive(drive);
        int index = driveIndex(drive.driveId());
        if (index < 0) {
            if (drive.root()) {
                drives.add(0, drive);
            } else {
                drives.add(drive);
            }
        } else {
            drives.set(index, drive);
            if (index != 0 && drive.root()) {
                drives.add(0, drives.remove(index));
            } else if (index == 0 && !drive.root() && drives.size() > 1) {
                drives.add(drives.remove(0)); // it lost root status: no longer first
            }
        }
        bootConfigured = true;
    }

    /** Applies a PATCH to an existing drive; the composition root updates the live device. */
    public synchronized DriveConfig updateDrive(DriveUpdate update) throws ConfigException {
        DriveConfig merged = patchedDrive(update);
        recordPatchedDrive(merged);
        return merged;
    }

    /**
     * The drive as {@code update} leaves it, validated but not recorded: after boot the live
     * device takes it first, so a backing file the device cannot open leaves the model as it was.
     */
    public synchronized DriveConfig patchedDrive(DriveUpdate update) throws ConfigException {
        Check.required(update, "drive");
        int vhostUser = update.driveId() == null ? -1 : driveIndex(update.driveId());
        if (vhostUser >= 0 && drives.get(vhostUser).vhostUser()) {
            // Firecracker: a PATCH of a vhost-user drive names only drive_id and makes it read the back-end's config again.
            if (update.pathOnHost() != null || update.rateLimiter() != null) {
                throw new ConfigException(ConfigException.Reason.UNSUPPORTED, "drive \"" + update.driveId() + "\" is a vhost-user drive:"
                        + " its data and rate limiting are the back-end's; PATCH it with drive_id alone to have its"
                        + " configuration (e.g. a new size) read from the back-end again");
            }
            return drives.get(vhostUser);
        }
        update.validate();
        int index = driveIndex(update.driveId());
        if (index < 0) {
            throw new ConfigException(ConfigException.Reason.NOT_FOUND, "drive \"" + update.driveId() + "\" does not exist; PUT /drives/"
                    + update.driveId() + " before boot to create it");
        }
        return drives.get(index).apply(update);
    }

    /** Records a drive {@link #patchedDrive} returned (the drive exists: drives are never removed). */
    public synchronized void recordPatchedDrive(DriveConfig merged) {
        drives.set(driveIndex(merged.driveId()), merged);
    }

    private int driveIndex(String id) {
        for (int i = 0; i < drives.size(); i++) {
            if (drives.get(i).driveId().equals(id)) {
                return i;
            }
        }
        return -1;
    }

    // ---- pmem --------------------------------------------------------------------------

    public synchronized List<PmemConfig> pmem() {
        return List.copyOf(pmem);
    }

    /**
     * Inserts or replaces (in place) the pmem device with this id; at most one root device in
     * all, block or pmem (Firecracker's checks and texts).
     */
    public synchronized void putPmem(PmemConfig config) throws ConfigException {
        Check.required(config, "pmem");
        config.validate();
        if (config.root() && !drives.isEmpty() && drives.get(0).root()) {
            throw new ConfigException(ConfigException.Reason.CONFLICT, "Attempt to add pmem as a root device while the root device defined as a block device"
                    + " (drive \"" + drives.get(0).driveId() + "\" is the root device; set root_device to false for \"" + config.id() + "\")");
        }
        int index = pmemIndex(config.id());
        PmemConfig root = pmemRoot();
        if (config.root() && root != null && !root.id().equals(config.id())) {
            throw new ConfigException(ConfigException.Reason.CONFLICT, "A root pmem device already exist (pmem \"" + root.id()
                    + "\" is the root device; set root_device to false for \"" + config.id() + "\")");
        }
        if (index < 0) {
            pmem.add(config);
        } else {
            pmem.set(index, config);
        }
        bootConfigured = true;
    }

    /**
     * The pmem device as PATCH /pmem leaves it (new rate limiter buckets), validated but not
     * recorded: the live device takes it first.
     */
    public synchronized PmemConfig patchedPmem(PmemUpdate update) throws ConfigException {
        Check.required(update, "pmem");
        update.validate();
        int index = pmemIndex(update.id());
        if (index < 0) {
            throw new ConfigException(ConfigException.Reason.NOT_FOUND, "pmem \"" + update.id() + "\" does not exist; PUT /pmem/"
                    + update.id() + " before boot to create it");
        }
        PmemConfig p = pmem.get(index);
        return new PmemConfig(p.id(), p.pathOnHost(), p.rootDevice(), p.readOnly(), update.rateLimiter());
    }

    /** Records a device {@link #patchedPmem} returned (the device exists: pmem devices are never removed). */
    public synchronized void recordPatchedPmem(PmemConfig merged) {
        pmem.set(pmemIndex(merged.id()), merged);
    }

    private int pmemIndex(String id) {
        for (int i = 0; i < pmem.size(); i++) {
            if (pmem.get(i).id().equals(id)) {
                return i;
            }
        }
        return -1;
    }

    private PmemConfig pmemRoot() {
        for (PmemConfig p : pmem) {
            if (p.root()) {
                return p;
            }
        }
        return null;
    }

    // ---- network interfaces ------------------------------------------------------------

    public synchronized List<NetworkInterfaceConfig> networkInterfaces() {
        return List.copyOf(networkInterfaces.values());
    }

    public synchronized void putNetworkInterface(NetworkInterfaceConfig iface) throws ConfigException {
        Check.required(iface, "network interface");
        iface.validate();
        // Firecracker drops an existing interface of this id before building the new one, so a
        // PUT that then fails leaves neither (a well-formed but conflicting replacement).
        networkInterfaces.remove(iface.ifaceId());
        // Firecracker's leads: its tests match them (a TAP in use fails its open there, with EBUSY).
        for (NetworkInterfaceConfig other : networkInterfaces.values()) {
            if (other.hostDevName().equals(iface.hostDevName())) {
                throw new ConfigException(ConfigException.Reason.CONFLICT, "Could not create the network device: the host device name "
                        + iface.hostDevName() + " is already in use. (by interface \"" + other.ifaceId()
                        + "\"; give each interface its own TAP device)");
            }
            if (other.sameMac(iface)) {
                throw new ConfigException(ConfigException.Reason.CONFLICT, "The MAC address is already in use: " + iface.guestMac()
                        + " (by interface \"" + other.ifaceId() + "\"; give each interface its own guest_mac)");
            }
        }
        networkInterfaces.put(iface.ifaceId(), iface);
        bootConfigured = true;
    }

    /** Forgets an interface whose TAP could not be attached at PUT. */
    public synchronized void removeNetworkInterface(String ifaceId) {
        networkInterfaces.remove(ifaceId);
    }

    public synchronized NetworkInterfaceConfig updateNetworkInterface(NetworkInterfaceUpdate update) throws ConfigException {
        Check.required(update, "network interface");
        update.validate();
        NetworkInterfaceConfig existing = networkInterfaces.get(update.ifaceId());
        if (existing == null) {
            throw new ConfigException(ConfigException.Reason.NOT_FOUND, "Invalid interface ID - not found. (\"" + update.ifaceId()
                    + "\"; PUT /network-interfaces/" + update.ifaceId() + " before boot to create it)");
        }
        NetworkInterfaceConfig merged = existing.apply(update);
        networkInterfaces.put(merged.ifaceId(), merged);
        return merged;
    }

    // ---- other devices -----------------------------------------------------------------

    public synchronized VsockConfig vsock() {
        return vsock;
    }

    public synchronized void setVsock(VsockConfig config) throws ConfigException {
        Check.required(config, "vsock");
        config.validate();
        vsock = config;
        bootConfigured = true;
    }

    public synchronized BalloonConfig balloon() {
        return balloon;
    }

    public synchronized void setBalloon(BalloonConfig config) throws ConfigException {
        Check.required(config, "balloon");
        config.validate(machineConfig.memSizeMib());
        if (machineConfig.hugePages() == HugePages.Hugetlbfs2M) {
            throw new ConfigException(ConfigException.Reason.CONFLICT, "Firecracker's huge pages support is incompatible with memory ballooning."
                    + " (set machine-config.huge_pages to None or remove the balloon)");
        }
        balloon = config;
        bootConfigured = true;
    }

    /** PATCH /balloon: a new target; allowed before and after boot. */
    public synchronized BalloonConfig updateBalloon(BalloonUpdate update) throws ConfigException {
        BalloonConfig merged = patchedBalloon(update);
        recordPatchedBalloon(merged);
        return merged;
    }

    /** The balloon as PATCH /balloon would leave it, validated but not recorded (the device may still refuse). */
    public synchronized BalloonConfig patchedBalloon(BalloonUpdate update) throws ConfigException {
        Check.required(update, "balloon");
        requireBalloon();
        update.validate(machineConfig.memSizeMib());
        return new BalloonConfig(update.amountMib(), balloon.deflateOnOom(), balloon.statsPollingIntervalS(),
                balloon.freePageHinting(), balloon.freePageReporting());
    }

    /** Records a balloon {@link #patchedBalloon} or {@link #patchedBalloonStatistics} returned, once the device took it. */
    public synchronized void recordPatchedBalloon(BalloonConfig merged) {
        balloon = merged;
    }

    /** PATCH /balloon/statistics: statistics cannot be switched on or off, only re-timed. */
    public synchronized BalloonConfig updateBalloonStatistics(BalloonStatsUpdate update) throws ConfigException {
        BalloonConfig merged = patchedBalloonStatistics(update);
        recordPatchedBalloon(merged);
        return merged;
    }

    /** The balloon as PATCH /balloon/statistics would leave it, validated but not recorded. */
    public synchronized BalloonConfig patchedBalloonStatistics(BalloonStatsUpdate update) throws ConfigException {
        Check.required(update, "balloon statistics");
        requireBalloon();
        update.validate();
        boolean wasOn = balloon.statsPollingIntervalS() != 0;
        boolean turnsOn = update.statsPollingIntervalS() != 0;
        if (wasOn != turnsOn) {
            throw new ConfigException(ConfigException.Reason.NOT_ALLOWED_NOW, "Cannot enable/disable the statistics after boot. (stats_polling_interval_s can "
                    + "only change between non-zero values; configure statistics with PUT /balloon before boot)");
        }
        return new BalloonConfig(balloon.amountMib(), balloon.deflateOnOom(), update.statsPollingIntervalS(),
                balloon.freePageHinting(), balloon.freePageReporting());
    }

    public synchronized void requireBalloon() throws ConfigException {
        if (balloon == null) {
            throw new ConfigException(ConfigException.Reason.NOT_FOUND, "No balloon device found. (configure one with PUT /balloon before boot)");
        }
    }

    public synchronized EntropyConfig entropy() {
        return entropy;
    }

    public synchronized void setEntropy(EntropyConfig config) throws ConfigException {
        Check.required(config, "entropy");
        config.validate();
        entropy = config;
        bootConfigured = true;
    }

    public synchronized MemoryHotplugConfig memoryHotplug() {
        return memoryHotplug;
    }

    /** PUT /hotplug/memory (pre-boot): the virtio-mem device's region, replacing any earlier one. */
    public synchronized void setMemoryHotplug(MemoryHotplugConfig config) throws ConfigException {
        Check.required(config, "memory-hotplug");
        config.validate();
        memoryHotplug = config;
        bootConfigured = true;
    }

    public synchronized SerialConfig serial() {
        return serial;
    }

    public synchronized void setSerial(SerialConfig config) throws ConfigException {
        Check.required(config, "serial");
        config.validate();
        serial = config;
        // Not boot-specific (Firecracker): snapshot-restore flows send PUT /serial before the load.
    }

    public synchronized CpuConfig cpuConfig() {
        return cpuConfig;
    }

    public synchronized void setCpuConfig(CpuConfig config) throws ConfigException {
        Check.required(config, "cpu-config");
        config.validate();
        cpuConfig = config;
        if (machineConfig.cpuTemplate() != null) {
            MachineConfig m = machineConfig;
            machineConfig = new MachineConfig(m.vcpuCount(), m.memSizeMib(), m.smt(), m.trackDirtyPages(), null, m.hugePages());
        }
        bootConfigured = true;
    }

    // ---- logger / metrics (applied by the logging package; recorded here for /vm/config) --

    public synchronized LoggerConfig logger() {
        return logger;
    }

    public synchronized void setLogger(LoggerConfig config) throws ConfigException {
        Check.required(config, "logger");
        config.validate();
        logger = config;
    }

    public synchronized MetricsConfig metrics() {
        return metrics;
    }

    public synchronized void setMetrics(MetricsConfig config) throws ConfigException {
        Check.required(config, "metrics");
        config.validate();
        metrics = config;
    }

    // ---- MMDS --------------------------------------------------------------------------

    public synchronized MmdsConfig mmdsConfig() {
        return mmdsConfig;
    }

    public synchronized void setMmdsConfig(MmdsConfig config) throws ConfigException {
        Check.required(config, "mmds-config");
        config.validate(new ArrayList<>(networkInterfaces.keySet()));
        mmdsConfig = config;
        bootConfigured = true;
    }

    /** The MMDS contents, with their own lock: the guest's metadata requests read them while the VM runs. */
    public MmdsDataStore mmds() {
        return mmds;
    }

    // ---- process-level flags -----------------------------------------------------------

    public synchronized boolean bootTimer() {
        return bootTimer;
    }

    public synchronized void setBootTimer(boolean enabled) {
        bootTimer = enabled;
    }

    /** --enable-pci: virtio devices on a PCI bus with MSI-X instead of virtio-mmio (Firecracker's flag). */
    public synchronized boolean pciEnabled() {
        return pciEnabled;
    }

    public synchronized void setPciEnabled(boolean enabled) {
        pciEnabled = enabled;
    }

    /** The serial console's escape byte on a terminal (--console-escape), or -1 for none. */
    public synchronized int consoleEscape() {
        return consoleEscape;
    }

    public synchronized void setConsoleEscape(int key) {
        consoleEscape = key;
    }

    /** True once anything boot-specific was configured (then snapshot load is refused). */
    public synchronized boolean bootConfigured() {
        return bootConfigured;
    }

    // ---- start checks ------------------------------------------------------------------

    /** The configured sections and features Ember has no device model for yet. */
    public synchronized List<String> unsupportedDevices() {
        List<String> out = new ArrayList<>();
        addIfUnsupported(out, Device.DRIVES, !drives.isEmpty());
        addIfUnsupported(out, Device.NETWORK_INTERFACES, !networkInterfaces.isEmpty());
        addIfUnsupported(out, Device.PMEM, !pmem.isEmpty());
        boolean asyncDrive = false;
        for (DriveConfig d : drives) {
            asyncDrive |= d.ioEngine() == IoEngine.Async;
        }
        addIfUnsupported(out, Device.DRIVE_IO_ENGINE_ASYNC, asyncDrive);
        addIfUnsupported(out, Device.VSOCK, vsock != null);
        addIfUnsupported(out, Device.BALLOON, balloon != null);
        addIfUnsupported(out, Device.ENTROPY, entropy != null);
        addIfUnsupported(out, Device.MMDS, mmdsConfig != null);
        addIfUnsupported(out, Device.CPU_CONFIG, cpuConfig != null);
        addIfUnsupported(out, Device.CPU_TEMPLATE, machineConfig.cpuTemplate() != null);
        addIfUnsupported(out, Device.HUGE_PAGES, machineConfig.hugePages() != HugePages.None);
        addIfUnsupported(out, Device.SERIAL, serial != null);
        return out;
    }

    private static void addIfUnsupported(List<String> out, Device device, boolean configured) {
        if (configured && !device.supported()) {
            out.add(device.configName());
        }
    }

    /**
     * Checks that a microVM can be started from this configuration: a kernel is configured and
     * every configured device exists in Ember.
     */
    public synchronized void requireStartable() throws ConfigException {
        if (bootSource == null) {
            throw new ConfigException(ConfigException.Reason.MISSING_FIELD, "Cannot start microvm without kernel configuration."
                    + " (PUT /boot-source or add a \"boot-source\" section with kernel_image_path)");
        }
        List<String> missing = unsupportedDevices();
        if (!missing.isEmpty()) {
            throw new UnsupportedDeviceException(missing);
        }
    }

    // ---- export / config file ----------------------------------------------------------

    /** GET /vm/config: the whole configuration in the config file's shape. */
    public synchronized VmConfigFile export() {
        return new VmConfigFile(bootSource, machineConfig,
                cpuConfig == null ? null : StrictJson.MAPPER.valueToTree(cpuConfig),
                List.copyOf(drives), List.copyOf(networkInterfaces.values()), List.copyOf(pmem), vsock, balloon, entropy, memoryHotplug, logger,
                metrics, mmdsConfig, serial);
    }

    /** Firecracker's GET /vm/config sections, each present: null (or []) when not configured. */
    private static final List<String> API_SECTIONS = List.of("balloon", "drives", "boot-source", "cpu-config", "logger",
            "machine-config", "metrics", "mmds-config", "network-interfaces", "pmem", "vsock", "entropy", "memory-hotplug");

    /**
     * GET /vm/config as Firecracker answers it: every section present, null when not configured;
     * logger and metrics null (they describe the process, not the VM, and Firecracker does not
     * report them); no serial section (Firecracker's export has none).
     */
    public synchronized JsonNode apiView() {
        com.fasterxml.jackson.databind.node.ObjectNode all = StrictJson.MAPPER.valueToTree(export());
        com.fasterxml.jackson.databind.node.ObjectNode view = StrictJson.MAPPER.createObjectNode();
        for (String section : API_SECTIONS) {
            JsonNode node = section.equals("logger") || section.equals("metrics") ? null : all.get(section);
            view.set(section, node != null ? node : com.fasterxml.jackson.databind.node.NullNode.getInstance());
        }
        return view;
    }

    /** Reads a Firecracker-style JSON config file; every error names the file and the field. */
    public static VmResources fromConfigFile(Path file) throws ConfigException {
        VmResources resources = new VmResources();
        VmConfigFile.apply(file, resources);
        return resources;
    }

    /**
     * Hands this configuration's sections to {@code to} in {@link VmConfigFile#SECTIONS} order, as
     * applying its config file would: a snapshot load binds the recorded configuration once, into
     * a VmResources of its own, and gives the process's the same sections from there.
     */
    public synchronized void applyTo(VmConfigFile.Sections to) throws ConfigException {
        if (logger != null) {
            to.setLogger(logger);
        }
        if (metrics != null) {
            to.setMetrics(metrics);
        }
        if (bootSource != null) {
            to.setBootSource(bootSource);
        }
        to.setMachineConfig(machineConfig);
        if (cpuConfig != null) {
            to.setCpuConfig(cpuConfig);
        }
        for (DriveConfig d : drives) {
            to.putDrive(d);
        }
        for (NetworkInterfaceConfig n : networkInterfaces.values()) {
            to.putNetworkInterface(n);
        }
        for (PmemConfig p : pmem) {
            to.putPmem(p);
        }
        if (vsock != null) {
            to.setVsock(vsock);
        }
        if (balloon != null) {
            to.setBalloon(balloon);
        }
        if (entropy != null) {
            to.setEntropy(entropy);
        }
        if (memoryHotplug != null) {
            to.setMemoryHotplug(memoryHotplug);
        }
        if (mmdsConfig != null) {
            to.setMmdsConfig(mmdsConfig);
        }
        if (serial != null) {
            to.setSerial(serial);
        }
    }

    /** Applies config-file sections. */
    public synchronized void applyConfig(JsonNode root) throws ConfigException {
        VmConfigFile.apply(root, this);
    }
}
