package dev.ember.devices.net;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.NativeMemory;

/**
 * A TAP interface opened through {@code /dev/net/tun} with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR:
 * every frame read or written is preceded by a virtio-net header of {@link #setVnetHeaderSize}
 * bytes, so guest offload metadata (checksum, GSO) crosses to the host stack unchanged. The fd
 * is non-blocking, for the event loop.
 */
public final class Tap implements AutoCloseable {
    // linux/if_tun.h
    public static final int IFF_TAP = 0x0002, IFF_NO_PI = 0x1000, IFF_VNET_HDR = 0x4000;
    public static final long TUNSETIFF = 0x400454caL, TUNSETOFFLOAD = 0x400454d0L, TUNSETVNETHDRSZ = 0x400454d8L;
    public static final int TUN_F_CSUM = 0x01, TUN_F_TSO4 = 0x02, TUN_F_TSO6 = 0x04, TUN_F_TSO_ECN = 0x08, TUN_F_UFO = 0x10;

    private static final String TUN_PATH = "/dev/net/tun";

    private final int fd;
    private final String name;
    private final NativeMemory intArg = Native.allocate(4);
    private volatile boolean closed;

    private Tap(int fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    /**
     * Opens (creating it if needed, which needs CAP_NET_ADMIN) the TAP interface {@code ifName}
     * ({@code host_dev_name}).
     */
    public static Tap open(String ifName) {
        if (ifName == null || ifName.isEmpty() || ifName.length() >= IfReq.IFNAMSIZ || !ifName.chars().allMatch(c -> c > 32 && c < 127 && c != '/')) {
            throw new TapException(TapException.Reason.INVALID_NAME, "host_dev_name '" + ifName + "' is not a valid interface name (1 to 15 printable ASCII characters, no '/' or spaces)");
        }
        int fd = Native.LIBC.open(TUN_PATH, LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            int errno = Native.errno();
            throw new TapException(TapException.Reason.TUN_UNAVAILABLE, "cannot open " + TUN_PATH + " for host_dev_name '" + ifName + "': " + Native.LIBC.strerror(errno)
                    + (errno == LibC.ENOENT ? " (load the tun module: modprobe tun)" : ""));
        }
        IfReq req = new IfReq(ifName, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
        if (Native.LIBC.ioctl(fd, TUNSETIFF, req.address()) < 0) {
            int errno = Native.errno();
            Native.LIBC.close(fd);
            String hint = errno == LibC.EPERM ? " (needs CAP_NET_ADMIN, or create the TAP beforehand owned by this user: ip tuntap add "
                    + ifName + " mode tap user <uid>)"
                    : errno == LibC.EBUSY ? " (the TAP is already attached to another process)"
                    : errno == LibC.EINVAL ? " (an interface of that name exists and is not a TAP, or has other flags)" : "";
            throw new TapException(TapException.Reason.ATTACH, "TUNSETIFF on host_dev_name '" + ifName + "' failed: " + Native.LIBC.strerror(errno) + hint);
        }
        return new Tap(fd, req.name());
    }

    public int fd() {
        return fd;
    }

    public String name() {
        return name;
    }

    /** TUNSETVNETHDRSZ: 12 for virtio 1.x ({@code struct virtio_net_hdr_v1}). */
    public void setVnetHeaderSize(int size) {
        intArg.putInt(0, size);
        if (Native.LIBC.ioctl(fd, TUNSETVNETHDRSZ, intArg.address()) < 0) {
            throw new TapException(TapException.Reason.VNET_HEADER, "TUNSETVNETHDRSZ(" + size + ") on " + name + " failed: " + Native.LIBC.strerror(Native.errno()));
        }
    }

    /**
     * TUNSETOFFLOAD: which offloaded frames the kernel may hand us (and so the guest).
     *
     * @return false if the kernel refused these flags (EINVAL), e.g. TUN_F_UFO on kernels without it
     */
    public boolean setOffload(int tunFlags) {
        if (Native.LIBC.ioctl(fd, TUNSETOFFLOAD, (long) tunFlags) == 0) {
            return true;
        }
        int errno = Native.errno();
        if (errno == LibC.EINVAL) {
            return false;
        }
        throw new TapException(TapException.Reason.OFFLOAD, "TUNSETOFFLOAD(0x" + Integer.toHexString(tunFlags) + ") on " + name + " failed: " + Native.LIBC.strerror(errno));
    }

    /** One frame (with its vnet header) into {@code [buf, buf+len)}; -errno on failure (-EAGAIN if none). */
    public long read(long buf, long len) {
        long n = Native.LIBC.read(fd, buf, len);
        return n >= 0 ? n : -Native.errno();
    }

    /** One frame from {@code cnt} iovecs; -errno on failure. */
    public long writev(long iov, int cnt) {
        long n = Native.LIBC.writev(fd, iov, cnt);
        return n >= 0 ? n : -Native.errno();
    }

    public long write(long buf, long len) {
        long n = Native.LIBC.write(fd, buf, len);
        return n >= 0 ? n : -Native.errno();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Native.LIBC.close(fd);
        }
    }
}
