package dev.ember.bench;

import java.nio.file.Path;

/**
 * Device throughput (virtio-blk MB/s and IOPS, virtio-net over TAP) with test-guest scenarios.
 * Measured once the virtio devices and their guest scenarios are on the branch; until then the
 * rows say why they are missing.
 */
final class DeviceBench {
    static final String SECTION = "devices (virtio-blk, virtio-net)";

    private DeviceBench() {}

    static void run(Env env, Results res, boolean quick, boolean ember, Path qemuGuest, String qemuWhy) {
        res.skip(SECTION, "block read MB/s and IOPS", "ember",
                "needs virtio-blk attached by the composition root and a test-guest block scenario (neither on this branch yet)");
        res.skip(SECTION, "net TAP MB/s", "ember",
                "needs virtio-net attached by the composition root and a test-guest net scenario (neither on this branch yet)");
    }
}
