package dev.ember.app;

import dev.ember.config.BalloonConfig;
import dev.ember.config.BootSourceConfig;
import dev.ember.config.ConfigException;
import dev.ember.config.CpuConfig;
import dev.ember.config.DriveConfig;
import dev.ember.config.EntropyConfig;
import dev.ember.config.LoggerConfig;
import dev.ember.config.MachineConfig;
import dev.ember.config.MetricsConfig;
import dev.ember.config.MmdsConfig;
import dev.ember.config.NetworkInterfaceConfig;
import dev.ember.config.PmemConfig;
import dev.ember.config.SerialConfig;
import dev.ember.config.VmConfigFile;
import dev.ember.config.VsockConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A configuration file as the commands the API would send for it, in Firecracker's order
 * (logger and metrics first, then the machine and its devices), so the file and the API share
 * parsing, validation and application: {@link VmmController} handles both.
 */
public final class ConfigFileCommands implements VmConfigFile.Sections {
    private final List<VmmCommand> commands = new ArrayList<>();

    private ConfigFileCommands() {}

    /** The commands of {@code file}; a file that cannot be read or parsed is refused naming the file and the field. */
    public static List<VmmCommand> read(Path file) throws ConfigException {
        ConfigFileCommands sections = new ConfigFileCommands();
        VmConfigFile.apply(file, sections);
        return List.copyOf(sections.commands);
    }

    @Override
    public void setLogger(LoggerConfig config) {
        commands.add(new VmmCommand.PutLogger(config));
    }

    @Override
    public void setMetrics(MetricsConfig config) {
        commands.add(new VmmCommand.PutMetrics(config));
    }

    @Override
    public void setBootSource(BootSourceConfig config) {
        commands.add(new VmmCommand.PutBootSource(config));
    }

    @Override
    public void setMachineConfig(MachineConfig config) {
        commands.add(new VmmCommand.PutMachineConfig(config));
    }

    @Override
    public void setCpuConfig(CpuConfig config) {
        commands.add(new VmmCommand.PutCpuConfig(config));
    }

    @Override
    public void putDrive(DriveConfig drive) {
        commands.add(new VmmCommand.PutDrive(drive));
    }

    @Override
    public void putNetworkInterface(NetworkInterfaceConfig iface) {
        commands.add(new VmmCommand.PutNetworkInterface(iface));
    }

    @Override
    public void putPmem(PmemConfig config) {
        commands.add(new VmmCommand.PutPmem(config));
    }

    @Override
    public void setVsock(VsockConfig config) {
        commands.add(new VmmCommand.PutVsock(config));
    }

    @Override
    public void setBalloon(BalloonConfig config) {
        commands.add(new VmmCommand.PutBalloon(config));
    }

    @Override
    public void setEntropy(EntropyConfig config) {
        commands.add(new VmmCommand.PutEntropy(config));
    }

    @Override
    public void setMemoryHotplug(dev.ember.config.MemoryHotplugConfig config) {
        commands.add(new VmmCommand.PutMemoryHotplug(config));
    }

    @Override
    public void setMmdsConfig(MmdsConfig config) {
        commands.add(new VmmCommand.PutMmdsConfig(config));
    }

    @Override
    public void setSerial(SerialConfig config) {
        commands.add(new VmmCommand.PutSerial(config));
    }
}
