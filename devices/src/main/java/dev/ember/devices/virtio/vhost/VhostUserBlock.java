package dev.ember.devices.virtio.vhost;

import dev.ember.devices.virtio.DeviceMetrics;
import dev.ember.devices.virtio.SplitQueue;
import dev.ember.devices.virtio.Virtio;
import dev.ember.devices.virtio.VirtioBlock;
import dev.ember.devices.virtio.VirtioDeviceBase;
import dev.ember.devices.virtio.VirtioTransport;
import dev.ember.devices.virtio.vhost.VhostUserException.Reason;
import dev.ember.eventloop.EventFd;
import dev.ember.eventloop.EventLoop;
import dev.ember.eventloop.ThreadConfinement;
import dev.ember.log.Log;
import dev.ember.memory.GuestMemory;
import dev.ember.memory.GuestRegion;
import dev.ember.metrics.FirecrackerMetrics;
import dev.ember.metrics.Gauge;
import dev.ember.metrics.MetricGroup;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A virtio block device whose one queue an external vhost-user-blk back-end serves (a drive
 * with {@code socket}; Firecracker's docs/api_requests/block-vhost-user.md). Ember is only the
 * front-end: it connects and negotiates when the device is built (virtio features the back-end
 * and Ember both know, protocol features CONFIG and REPLY_ACK), reads the configuration space
 * from the back-end, and at DRIVER_OK hands over guest RAM (its memfd), the ring addresses, the
 * queue's notify eventfd as the kick (KVM's ioeventfd signals it, the VMM never reads it) and the
 * device's irqfd as the call. Requests never pass through the VMM. A reset stops the ring
 * (GET_VRING_BASE); DRIVER_OK again hands everything over anew. Every exchange with the
 * back-end is bounded by the timeout given at connect; one that fails makes activation fail
 * (DEVICE_NEEDS_RESET, {@code activate_fails}), never hangs the loop for longer.
 *
 * <p>Metrics are Firecracker's {@code vhost_user_block_<drive_id>} group (no aggregate).
 */
public final class VhostUserBlock extends VirtioDeviceBase {
    private static final System.Logger LOG = Log.logger(VhostUserBlock.class);
    /** The virtio-blk configuration space read from the back-end: Firecracker's 60 bytes. */
    public static final int CONFIG_BYTES = 60;
    /** The features Ember asks of the back-end: read-only is the back-end's to decide, flush only with Writeback. */
    private static final long REQUESTED = Virtio.bit(Virtio.F_VERSION_1) | Virtio.bit(Virtio.F_RING_EVENT_IDX)
            | Virtio.bit(VirtioBlock.F_RO) | (1L << VhostUserAbi.F_PROTOCOL_FEATURES);
    private static final long REQUESTED_PROTOCOL = (1L << VhostUserAbi.PROTOCOL_F_CONFIG) | (1L << VhostUserAbi.PROTOCOL_F_REPLY_ACK);
    private static final int QUEUE = 0;

    private final String driveId;
    private final Path socket;
    private final VhostUserFrontend backend;
    /** What the guest is offered: what both sides agreed on, without the vhost-user bit 30. */
    private final long offered;
    /** Bit 30 when protocol features were negotiated: SET_FEATURES must keep saying so. */
    private final long protocolBit;
    private final boolean configFromBackend;
    private final Gauge activateTimeUs;
    private final Gauge configChangeTimeUs;
    /** The back-end holds a started ring: a reset must stop it. */
    private boolean ringStarted;

    private VhostUserBlock(String driveId, Path socket, VhostUserFrontend backend, long acked, boolean configFromBackend,
            byte[] configBytes, MetricGroup group) {
        super(Virtio.DEVICE_ID_BLOCK, "vhost-user block " + driveId, 1, CONFIG_BYTES, DeviceMetrics.ofGroup(group));
        this.driveId = driveId;
        this.socket = socket;
        this.backend = backend;
        this.protocolBit = acked & (1L << VhostUserAbi.F_PROTOCOL_FEATURES);
        this.offered = acked & ~protocolBit;
        this.configFromBackend = configFromBackend;
        this.activateTimeUs = group.gauge("activate_time_us");
        this.configChangeTimeUs = group.gauge("config_change_time_us");
        config.put(0, configBytes);
    }

    /**
     * Connects to the back-end on {@code socket} and negotiates. {@code flush}: offer
     * VIRTIO_BLK_F_FLUSH (cache_type Writeback), if the back-end has it.
     *
     * @throws VhostUserException when the back-end cannot be reached or does not keep to the protocol
     */
    public static VhostUserBlock connect(String driveId, Path socket, boolean flush, int timeoutMs) {
        long start = System.nanoTime();
        requireId(driveId, "drive_id");
        VhostUserFrontend backend = VhostUserFrontend.connect(socket, timeoutMs);
        try {
            backend.setOwner();
            long requested = REQUESTED | (flush ? Virtio.bit(VirtioBlock.F_FLUSH) : 0);
            long acked = requested & backend.getFeatures();
            if ((acked & Virtio.bit(Virtio.F_VERSION_1)) == 0) {
                throw new VhostUserException(Reason.MISSING_FEATURE, "vhost-user back-end on " + socket
                        + " does not offer VIRTIO_F_VERSION_1; Ember's virtio transports serve modern drivers only");
            }
            long protocol = 0;
            if ((acked & (1L << VhostUserAbi.F_PROTOCOL_FEATURES)) != 0) {
                protocol = REQUESTED_PROTOCOL & backend.getProtocolFeatures();
                backend.setProtocolFeatures(protocol);
            }
            boolean fromBackend = (protocol & (1L << VhostUserAbi.PROTOCOL_F_CONFIG)) != 0;
            byte[] config = fromBackend ? backend.getConfig(0, CONFIG_BYTES) : new byte[CONFIG_BYTES];
            // Declared once the back-end is negotiated, as Firecracker does: a drive refused at PUT has no group.
            MetricGroup group = FirecrackerMetrics.VHOST_USER_BLOCK.declare("vhost_user_block_" + driveId);
            VhostUserBlock device = new VhostUserBlock(driveId, socket, backend, acked, fromBackend, config, group);
            group.gauge("init_time_us").set((System.nanoTime() - start) / 1000);
            return device;
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }

    public String driveId() {
        return driveId;
    }

    public Path socket() {
        return socket;
    }

    /** Whether the back-end made the drive read-only (VIRTIO_BLK_F_RO): it decides, not Ember. */
    public boolean readOnly() {
        return (offered & Virtio.bit(VirtioBlock.F_RO)) != 0;
    }

    /** The capacity in 512-byte sectors the back-end's configuration space gives. */
    public long capacitySectors() {
        return config.read(0, 8);
    }

    @Override
    public long deviceFeatures() {
        return offered;
    }

    @Override
    public boolean externalDataPlane() {
        return true;
    }

    @Override
    protected void onActivate(VirtioTransport t) {
        long start = System.nanoTime();
        GuestMemory mem = t.memory();
        if (mem.sharedFd() < 0) {
            throw new VhostUserException(Reason.NOT_SHAREABLE, "vhost-user drive " + driveId
                    + ": guest memory is private to the VMM, the back-end cannot map it");
        }
        EventFd call = t.queueInterruptFd(QUEUE);
        if (call == null) {
            throw new VhostUserException(Reason.NOT_SHAREABLE, "vhost-user drive " + driveId
                    + ": the transport has no irqfd for the back-end to interrupt the guest with (virtio-mmio has)");
        }
        backend.setFeatures(t.negotiatedFeatures() | protocolBit);
        List<GuestRegion> ram = mem.regions();
        List<VhostUserFrontend.MemoryRegion> regions = new ArrayList<>(ram.size());
        for (int i = 0; i < ram.size(); i++) {
            GuestRegion r = ram.get(i);
            regions.add(new VhostUserFrontend.MemoryRegion(r.guestBase(), r.size(), r.hostAddress(), mem.sharedFd(), mem.fileOffset(i)));
        }
        backend.setMemTable(regions);
        SplitQueue q = t.queue(QUEUE);
        int size = q.size();
        backend.setVringNum(QUEUE, size);
        backend.setVringAddr(QUEUE, mem.hostAddress(q.descTableAddress(), 16L * size),
                mem.hostAddress(q.usedRingAddress(), 6 + 8L * size), mem.hostAddress(q.availRingAddress(), 6 + 2L * size));
        backend.setVringBase(QUEUE, q.lastAvailIndex());
        backend.setVringCall(QUEUE, call.fd());
        backend.setVringKick(QUEUE, t.queueNotifyFd(QUEUE).fd());
        ringStarted = true;
        backend.setVringEnable(QUEUE, true);
        // The spec asks front-ends to kick once: a back-end of its older wording starts a ring at its first kick.
        t.queueNotifyFd(QUEUE).write(1);
        activateTimeUs.set((System.nanoTime() - start) / 1000);
    }

    /** Requests pass the VMM by: a kick the transport hands over here (a notify that reached user space) is the back-end's. */
    @Override
    public void onQueueNotify(int queueIndex) {}

    @Override
    protected void onReset() {
        if (ringStarted) {
            ringStarted = false;
            try {
                backend.getVringBase(QUEUE); // stops the ring: the driver may free it now
            } catch (VhostUserException e) {
                LOG.log(Level.WARNING, "vhost-user drive {0}: could not stop the ring at reset: {1}", driveId, e.getMessage());
            }
        }
    }

    /**
     * PATCH of a vhost-user drive (Firecracker's way to learn of a change the back-end made, e.g.
     * a resized disk): reads the configuration space from the back-end again, here on the
     * caller's thread (bounded by the timeout), then on the loop puts it in place and tells the
     * guest (configuration-change interrupt). Any thread.
     *
     * @throws VhostUserException when the back-end does not answer or did not agree to CONFIG
     */
    public void refreshConfig() {
        if (!configFromBackend) {
            throw new VhostUserException(Reason.MISSING_FEATURE, "vhost-user drive " + driveId
                    + ": the back-end did not agree to CONFIG, its configuration space cannot be read again");
        }
        long start = System.nanoTime();
        byte[] fresh = backend.getConfig(0, CONFIG_BYTES);
        EventLoop l = loop;
        if (l == null) {
            swapConfig(fresh, start); // not attached yet: no reader but this thread
        } else {
            l.execute(() -> swapConfig(fresh, start));
        }
    }

    private void swapConfig(byte[] fresh, long start) {
        ThreadConfinement.requireLoop(loop, "VhostUserBlock.swapConfig"); // the transport and the config's one writer
        config.beginUpdate(); // config reads wait for the whole new space
        if (transport != null) {
            transport.configChanged(); // the generation moves before any new byte is visible
        }
        config.put(0, fresh);
        config.endUpdate();
        configChangeTimeUs.set((System.nanoTime() - start) / 1000);
    }

    @Override
    public void close() {
        backend.close();
    }
}
