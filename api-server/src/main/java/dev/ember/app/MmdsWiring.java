package dev.ember.app;

import dev.ember.config.MmdsConfig;
import dev.ember.devices.mmds.MmdsMetrics;
import dev.ember.devices.mmds.MmdsNetworkStack;
import dev.ember.devices.mmds.TcpLimits;
import dev.ember.devices.virtio.VirtioNet;
import dev.ember.mmds.MmdsData;
import dev.ember.mmds.MmdsGuestHttp;
import java.util.Map;

/**
 * Puts the metadata service on the interfaces {@code mmds-config} names: one TCP stack per
 * interface, one HTTP layer (and token authority) shared by them, reading the live store.
 * A new authority per start or snapshot load is what makes tokens not survive a load.
 */
final class MmdsWiring {
    private MmdsWiring() {
    }

    static void attach(MmdsConfig config, Map<String, VirtioNet> nets, MmdsData store) {
        if (config == null) {
            return;
        }
        MmdsMetrics metrics = new MmdsMetrics();
        MmdsGuestHttp http = new MmdsGuestHttp(config.version(), config.imdsCompat(), store, metrics, System::nanoTime);
        int address = MmdsConfig.ipv4Value(config.ipv4Address());
        for (String id : config.networkInterfaces()) {
            VirtioNet net = nets.get(id);
            if (net == null) {
                throw new IllegalArgumentException("mmds-config.network_interfaces names \"" + id
                        + "\", which is not among the network interfaces; configure it first");
            }
            net.setFrameInterceptor(new MmdsNetworkStack(address, http, metrics, TcpLimits.DEFAULT, System::nanoTime));
        }
    }
}
