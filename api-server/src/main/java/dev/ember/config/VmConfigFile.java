package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The shape of Firecracker's {@code --config-file} and of GET {@code /vm/config}. In a config
 * file {@code cpu-config} is the path of a JSON file holding the template (Firecracker) or,
 * as an Ember extension, the template object itself; GET /vm/config reports the object.
 */
public record VmConfigFile(
        @JsonProperty("boot-source") BootSourceConfig bootSource,
        @JsonProperty("machine-config") MachineConfig machineConfig,
        @JsonProperty("cpu-config") JsonNode cpuConfig,
        @JsonProperty("drives") List<DriveConfig> drives,
        @JsonProperty("network-interfaces") List<NetworkInterfaceConfig> networkInterfaces,
        @JsonProperty("pmem") List<PmemConfig> pmem,
        @JsonProperty("vsock") VsockConfig vsock,
        @JsonProperty("balloon") BalloonConfig balloon,
        @JsonProperty("entropy") EntropyConfig entropy,
        @JsonProperty("memory-hotplug") MemoryHotplugConfig memoryHotplug,
        @JsonProperty("logger") LoggerConfig logger,
        @JsonProperty("metrics") MetricsConfig metrics,
        @JsonProperty("mmds-config") MmdsConfig mmdsConfig,
        @JsonProperty("serial") SerialConfig serial) {

    /** Top-level keys in the order they are applied (dependencies first). */
    public static final List<String> SECTIONS = List.of("logger", "metrics", "boot-source", "machine-config",
            "cpu-config", "drives", "network-interfaces", "pmem", "vsock", "balloon", "entropy", "memory-hotplug", "mmds-config",
            "serial");

    /** The sections that are arrays of devices. */
    private static final List<String> LIST_SECTIONS = List.of("drives", "network-interfaces", "pmem");

    /** Firecracker sections Ember does not model at all (accepted only when null or empty). */
    static final List<String> FIRECRACKER_ONLY = List.of();

    /**
     * Where a configuration file's sections go, one method per section entry, in
     * {@link #SECTIONS} order: {@link VmResources} stores them; the VMM turns them into the
     * same commands the API sends.
     */
    public interface Sections {
        void setLogger(LoggerConfig config) throws ConfigException;
        void setMetrics(MetricsConfig config) throws ConfigException;
        void setBootSource(BootSourceConfig config) throws ConfigException;
        void setMachineConfig(MachineConfig config) throws ConfigException;
        void setCpuConfig(CpuConfig config) throws ConfigException;
        void putDrive(DriveConfig drive) throws ConfigException;
        void putNetworkInterface(NetworkInterfaceConfig iface) throws ConfigException;
        void putPmem(PmemConfig config) throws ConfigException;
        void setVsock(VsockConfig config) throws ConfigException;
        void setBalloon(BalloonConfig config) throws ConfigException;
        void setEntropy(EntropyConfig config) throws ConfigException;
        void setMemoryHotplug(MemoryHotplugConfig config) throws ConfigException;
        void setMmdsConfig(MmdsConfig config) throws ConfigException;
        void setSerial(SerialConfig config) throws ConfigException;
    }

    /**
     * Reads {@code file} and hands its sections to {@code to}; every error names the file and
     * the field. A relative {@code cpu-config} path resolves against the current directory, as
     * Firecracker reads it (like every other path in the file).
     */
    public static void apply(Path file, Sections to) throws ConfigException {
        byte[] json;
        try {
            json = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(ConfigException.Reason.FILE, "config file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException(ConfigException.Reason.FILE, "cannot read config file " + file + ": " + e.getMessage());
        }
        try {
            apply(StrictJson.tree(json, "the file"), to); // serde's text first, as the API's, led by the file's name once
        } catch (ConfigException e) {
            throw inFile(file, e);
        }
    }

    /** {@code e} as the error of configuration file {@code file}. */
    public static ConfigException inFile(Path file, ConfigException e) {
        return new ConfigException(ConfigException.Reason.MALFORMED_JSON, "config file " + file + ": " + e.getMessage());
    }

    /** Hands the sections of {@code root} to {@code to}. */
    public static void apply(JsonNode root, Sections to) throws ConfigException {
        if (!root.isObject()) {
            throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, "the top level must be a JSON object with sections such as \"boot-source\"");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (FIRECRACKER_ONLY.contains(name)) {
                JsonNode node = root.get(name);
                // Firecracker's own full-format files (and its GET /vm/config) carry these empty.
                if (node.isNull() || (node.isArray() && node.isEmpty())) {
                    continue;
                }
                throw new ConfigException(ConfigException.Reason.UNSUPPORTED, "section \"" + name + "\" is a Firecracker feature Ember does not support yet;"
                        + " remove it (null is accepted)");
            }
            if (!SECTIONS.contains(name)) {
                List<String> accepted = new ArrayList<>(SECTIONS);
                accepted.sort(null);
                throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, "unknown section \"" + name + "\"; accepted sections: " + String.join(", ", accepted));
            }
        }
        for (String section : SECTIONS) {
            JsonNode node = root.get(section);
            if (node == null) {
                continue;
            }
            if (node.isNull()) {
                continue; // Firecracker writes absent optional sections as null in exports.
            }
            applySection(section, node, to);
        }
    }

    /**
     * This configuration as {@link StrictJson#write} writes it, when it has no sections but
     * those {@link #applyStreamed} reads back (boot source, machine configuration, drives,
     * network interfaces, vsock): a snapshot of such a VM is recorded without databind. Null for
     * any other, which databind writes.
     */
    public byte[] writeStreamed() {
        boolean streamable = cpuConfig == null && isNullOrEmpty(pmem) && balloon == null && entropy == null && memoryHotplug == null
                && logger == null && metrics == null && mmdsConfig == null && serial == null;
        if (!streamable) {
            return null;
        }
        return StrictWriter.write(out -> {
            out.writeStartObject();
            if (bootSource != null) {
                out.writeFieldName("boot-source");
                bootSource.write(out);
            }
            if (machineConfig != null) {
                out.writeFieldName("machine-config");
                machineConfig.write(out);
            }
            array(out, "drives", drives, DriveConfig::write);
            array(out, "network-interfaces", networkInterfaces, NetworkInterfaceConfig::write);
            if (pmem != null) {
                out.writeArrayFieldStart("pmem"); // empty: checked above
                out.writeEndArray();
            }
            if (vsock != null) {
                out.writeFieldName("vsock");
                vsock.write(out);
            }
            out.writeEndObject();
        });
    }

    private interface Element<T> {
        void write(T element, com.fasterxml.jackson.core.JsonGenerator out) throws IOException;
    }

    private static <T> void array(com.fasterxml.jackson.core.JsonGenerator out, String name, List<T> list, Element<T> element)
            throws IOException {
        if (list != null) {
            out.writeArrayFieldStart(name);
            for (T t : list) {
                if (t == null) {
                    out.writeNull();
                } else {
                    element.write(t, out);
                }
            }
            out.writeEndArray();
        }
    }

    private static boolean isNullOrEmpty(List<?> list) {
        return list == null || list.isEmpty();
    }

    /**
     * Applies a configuration Ember recorded itself (a snapshot's) without databind, when it holds
     * only what the API's streamed bodies cover: machine-config, drives, network-interfaces and
     * vsock, every other section null or an empty array, and the {@code skipped} sections whatever
     * they hold. Returns false, having applied nothing, for anything else (another section
     * configured, JSON that does not bind): the caller then takes {@link #apply(JsonNode, Sections)},
     * which words the error if there is one. Errors thrown are {@code to}'s own, as {@code apply}
     * would throw them, in the same order.
     */
    public static boolean applyStreamed(byte[] json, List<String> skipped, Sections to) throws ConfigException {
        Streamed read;
        try {
            read = StrictReader.read(json, "config", (in, path) -> in.object(path) ? Streamed.read(in, path, skipped) : null);
        } catch (ConfigException e) {
            return false;
        }
        if (read == null) {
            return false;
        }
        if (read.machine != null) {
            to.setMachineConfig(read.machine);
        }
        for (DriveConfig d : read.drives) {
            to.putDrive(d);
        }
        for (NetworkInterfaceConfig n : read.interfaces) {
            to.putNetworkInterface(n);
        }
        if (read.vsock != null) {
            to.setVsock(read.vsock);
        }
        return true;
    }

    /** The sections {@link #applyStreamed} reads. */
    private static final class Streamed {
        MachineConfig machine;
        List<DriveConfig> drives = List.of();
        List<NetworkInterfaceConfig> interfaces = List.of();
        VsockConfig vsock;

        /** With the parser on the top-level object's start; null to give up. */
        static Streamed read(StrictReader in, String path, List<String> skipped) throws IOException, ConfigException {
            Streamed s = new Streamed();
            for (String section; (section = in.field(path, SECTIONS)) != null; ) {
                boolean readHere = true;
                if (skipped.contains(section)) {
                    readHere = in.skipWithoutFractions();
                } else if (section.equals("machine-config")) {
                    s.machine = in.object(section) ? MachineConfig.read(in, section) : null;
                } else if (section.equals("drives")) {
                    s.drives = orEmpty(in.list(section, (r, at) -> r.object(at) ? DriveConfig.read(r, at) : null));
                } else if (section.equals("network-interfaces")) {
                    s.interfaces = orEmpty(in.list(section, (r, at) -> r.object(at) ? NetworkInterfaceConfig.read(r, at) : null));
                } else if (section.equals("vsock")) {
                    s.vsock = in.object(section) ? VsockConfig.read(in, section) : null;
                } else {
                    readHere = LIST_SECTIONS.contains(section) ? in.nullOrEmptyArray() : in.isNull();
                }
                if (!readHere || hasNull(s.drives) || hasNull(s.interfaces)) {
                    return null;
                }
            }
            return s;
        }

        private static boolean hasNull(List<?> list) {
            for (Object o : list) {
                if (o == null) {
                    return true;
                }
            }
            return false;
        }

        private static <T> List<T> orEmpty(List<T> list) {
            return list == null ? List.of() : list;
        }
    }

    private static void applySection(String section, JsonNode node, Sections to) throws ConfigException {
        switch (section) {
            case "logger" -> to.setLogger(StrictJson.convert(node, LoggerConfig.class, section));
            case "metrics" -> to.setMetrics(StrictJson.convert(node, MetricsConfig.class, section));
            case "boot-source" -> to.setBootSource(StrictJson.convert(node, BootSourceConfig.class, section));
            case "machine-config" -> to.setMachineConfig(StrictJson.convert(node, MachineConfig.class, section));
            case "cpu-config" -> to.setCpuConfig(cpuConfigFrom(node));
            case "drives" -> {
                requireArray(node, section);
                for (int i = 0; i < node.size(); i++) {
                    to.putDrive(StrictJson.convert(node.get(i), DriveConfig.class, section + "[" + i + "]"));
                }
            }
            case "network-interfaces" -> {
                requireArray(node, section);
                for (int i = 0; i < node.size(); i++) {
                    to.putNetworkInterface(StrictJson.convert(node.get(i), NetworkInterfaceConfig.class, section + "[" + i + "]"));
                }
            }
            case "pmem" -> {
                requireArray(node, section);
                for (int i = 0; i < node.size(); i++) {
                    to.putPmem(StrictJson.convert(node.get(i), PmemConfig.class, section + "[" + i + "]"));
                }
            }
            case "vsock" -> to.setVsock(StrictJson.convert(node, VsockConfig.class, section));
            case "balloon" -> to.setBalloon(StrictJson.convert(node, BalloonConfig.class, section));
            case "entropy" -> to.setEntropy(StrictJson.convert(node, EntropyConfig.class, section));
            case "memory-hotplug" -> to.setMemoryHotplug(StrictJson.convert(node, MemoryHotplugConfig.class, section));
            case "mmds-config" -> to.setMmdsConfig(StrictJson.convert(node, MmdsConfig.class, section));
            case "serial" -> to.setSerial(StrictJson.convert(node, SerialConfig.class, section));
            default -> throw new IllegalStateException("section list and switch disagree on " + section);
        }
    }

    private static void requireArray(JsonNode node, String section) throws ConfigException {
        if (!node.isArray()) {
            throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, "invalid type for " + section + ": expected an array of objects");
        }
    }

    private static CpuConfig cpuConfigFrom(JsonNode node) throws ConfigException {
        if (node.isObject()) {
            return StrictJson.convert(node, CpuConfig.class, "cpu-config");
        }
        if (!node.isTextual()) {
            throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, "invalid type for cpu-config: expected the path of a CPU template JSON file");
        }
        Path path = Path.of(node.asText());
        try {
            return StrictJson.parse(Files.readAllBytes(path), CpuConfig.class, "cpu-config (" + path + ")");
        } catch (IOException e) {
            throw new ConfigException(ConfigException.Reason.FILE, "cpu-config: cannot read CPU template file " + path + ": " + e.getMessage());
        }
    }
}
