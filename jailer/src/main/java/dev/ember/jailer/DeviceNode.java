package dev.ember.jailer;

/**
 * The device nodes the VMM needs inside the jail. The numbers are fixed by the kernel:
 * misc device minors KVM_MINOR 232 and TUN_MINOR 200, and the mem driver's null (1, 3) and
 * urandom (1, 9). /dev/null: the HTTP stack (XNIO) opens it read-write to drain request bytes
 * nobody reads; without it the jailed VMM could not start its API server.
 */
enum DeviceNode {
    KVM("dev/kvm", 10, 232, 0600),
    TUN("dev/net/tun", 10, 200, 0600),
    NULL("dev/null", 1, 3, 0666),
    URANDOM("dev/urandom", 1, 9, 0666);

    final String path;
    final int major;
    final int minor;
    final int mode;

    DeviceNode(String path, int major, int minor, int mode) {
        this.path = path;
        this.major = major;
        this.minor = minor;
        this.mode = mode;
    }
}
