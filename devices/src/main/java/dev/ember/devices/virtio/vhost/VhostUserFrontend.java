package dev.ember.devices.virtio.vhost;

import static dev.ember.devices.virtio.vhost.VhostUserAbi.*;

import dev.ember.devices.virtio.vhost.VhostUserException.Reason;
import dev.ember.sys.FdPassing;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.NativeMemory;
import dev.ember.sys.SockaddrUn;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

/**
 * The front-end (the VMM's) side of one vhost-user connection: the requests that hand a virtio
 * device's data plane to an external back-end (QEMU's docs/interop/vhost-user.rst). Every reply
 * is awaited for at most the timeout given at connect and checked (request code, reply flag,
 * version, exact size) before its payload is used; a back-end that is silent, closes, or answers
 * something else gets a {@link VhostUserException}, never a hang. After a failure that may leave
 * part of a message in the stream the connection is marked broken and refuses further requests.
 * When REPLY_ACK is negotiated, every request without a reply of its own asks for an
 * acknowledgement and a non-zero one is an error, so a refused ring or memory table is seen at
 * the request that caused it. Set-up only, never on an I/O path: requests are serialised by the
 * object's lock; the request and reply buffers are allocated once (each send's msghdr is not).
 */
public final class VhostUserFrontend implements AutoCloseable {
    /** One guest RAM range as the back-end maps it: from {@code fd} at {@code fdOffset}, seen by this process at {@code userAddress}. */
    public record MemoryRegion(long guestAddress, long size, long userAddress, int fd, long fdOffset) {}

    private final String socketPath;
    private final int socket;
    private final int timeoutMs;
    private final byte[] out = new byte[HEADER_SIZE + MAX_PAYLOAD];
    private final ByteBuffer request = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    private final NativeMemory in = Native.allocate(HEADER_SIZE + MAX_PAYLOAD);
    private final NativeMemory pollFd = Native.allocate(FdPassing.POLLFD_SIZE);
    private final int[] fds = new int[MAX_REGIONS];
    private boolean replyAck;
    private boolean broken;
    private boolean closed;

    private VhostUserFrontend(String socketPath, int socket, int timeoutMs) {
        this.socketPath = socketPath;
        this.socket = socket;
        this.timeoutMs = timeoutMs;
        pollFd.putInt(FdPassing.POLLFD_FD, socket);
        pollFd.putShort(FdPassing.POLLFD_EVENTS, (short) (FdPassing.POLLIN | FdPassing.POLLRDHUP));
    }

    /**
     * Connects to the back-end listening on {@code socketPath}. {@code timeoutMs} bounds the
     * connect (a full backlog), every send and every reply.
     */
    public static VhostUserFrontend connect(Path socketPath, int timeoutMs) {
        String path = socketPath.toString();
        SockaddrUn addr;
        try {
            addr = new SockaddrUn(path);
        } catch (IllegalArgumentException e) {
            throw new VhostUserException(Reason.CONNECT, "cannot connect to the vhost-user socket " + path + ": " + e.getMessage());
        }
        int fd = Native.LIBC.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0 || FdPassing.sendTimeout(fd, timeoutMs) < 0 || Native.LIBC.connect(fd, addr.address(), addr.length()) < 0) {
            int errno = Native.errno();
            if (fd >= 0) {
                Native.LIBC.close(fd);
            }
            String why = errno == LibC.EAGAIN ? "the back-end accepted no connection within " + timeoutMs + " ms"
                    : Native.LIBC.strerror(errno);
            throw new VhostUserException(Reason.CONNECT, "cannot connect to the vhost-user socket " + path + ": " + why
                    + " (is the back-end running and listening there?)", errno == LibC.EAGAIN ? 0 : errno);
        }
        return new VhostUserFrontend(path, fd, timeoutMs);
    }

    /** GET_FEATURES: the virtio features the back-end offers (bit 30: it speaks protocol features). */
    public synchronized long getFeatures() {
        send(GET_FEATURES, 0, 0, false);
        return replyU64(GET_FEATURES);
    }

    /** SET_FEATURES: the features the driver accepted, plus bit 30 when protocol features are in use. */
    public synchronized void setFeatures(long features) {
        sendU64(SET_FEATURES, features);
    }

    /** GET_PROTOCOL_FEATURES (only when GET_FEATURES offered bit 30). */
    public synchronized long getProtocolFeatures() {
        send(GET_PROTOCOL_FEATURES, 0, 0, false);
        return replyU64(GET_PROTOCOL_FEATURES);
    }

    /** SET_PROTOCOL_FEATURES; from the next request on, acknowledgements are asked for when it holds REPLY_ACK. */
    public synchronized void setProtocolFeatures(long features) {
        sendU64(SET_PROTOCOL_FEATURES, features);
        replyAck = (features & (1L << PROTOCOL_F_REPLY_ACK)) != 0;
    }

    /** SET_OWNER: this connection is the back-end's one front-end. */
    public synchronized void setOwner() {
        send(SET_OWNER, 0, 0, replyAck);
        awaitAck(SET_OWNER);
    }

    /** GET_QUEUE_NUM (with PROTOCOL_F_MQ): how many queues the back-end serves. */
    public synchronized long getQueueNum() {
        send(GET_QUEUE_NUM, 0, 0, false);
        return replyU64(GET_QUEUE_NUM);
    }

    /** SET_MEM_TABLE: the guest's RAM, one fd per region, at most {@link VhostUserAbi#MAX_REGIONS}. */
    public synchronized void setMemTable(List<MemoryRegion> regions) {
        if (regions.isEmpty() || regions.size() > MAX_REGIONS) {
            throw new IllegalArgumentException("a vhost-user memory table holds 1 to " + MAX_REGIONS + " regions, not " + regions.size());
        }
        request.putInt(HEADER_SIZE + MEMORY_NREGIONS, regions.size()).putInt(HEADER_SIZE + MEMORY_PADDING, 0);
        for (int i = 0; i < regions.size(); i++) {
            MemoryRegion r = regions.get(i);
            int at = HEADER_SIZE + MEMORY_REGIONS + i * REGION_SIZE;
            request.putLong(at + REGION_GUEST_ADDR, r.guestAddress()).putLong(at + REGION_MEMORY_SIZE, r.size())
                    .putLong(at + REGION_USER_ADDR, r.userAddress()).putLong(at + REGION_MMAP_OFFSET, r.fdOffset());
            fds[i] = r.fd();
        }
        send(SET_MEM_TABLE, MEMORY_REGIONS + regions.size() * REGION_SIZE, regions.size(), replyAck);
        awaitAck(SET_MEM_TABLE);
    }

    /** SET_VRING_NUM: queue {@code index} has {@code size} descriptors. */
    public synchronized void setVringNum(int index, int size) {
        sendState(SET_VRING_NUM, index, size);
    }

    /** SET_VRING_BASE: the next available-ring index the back-end is to read. */
    public synchronized void setVringBase(int index, int base) {
        sendState(SET_VRING_BASE, index, base);
    }

    /** SET_VRING_ENABLE: whether the back-end may pass data on queue {@code index}. */
    public synchronized void setVringEnable(int index, boolean enable) {
        sendState(SET_VRING_ENABLE, index, enable ? 1 : 0);
    }

    /** SET_VRING_ADDR: the descriptor table, used and available rings, as addresses in this process. */
    public synchronized void setVringAddr(int index, long descUser, long usedUser, long availUser) {
        int p = HEADER_SIZE;
        request.putInt(p + ADDR_INDEX, checkIndex(index)).putInt(p + ADDR_FLAGS, 0).putLong(p + ADDR_DESC, descUser)
                .putLong(p + ADDR_USED, usedUser).putLong(p + ADDR_AVAIL, availUser).putLong(p + ADDR_LOG, 0);
        send(SET_VRING_ADDR, ADDR_SIZE, 0, replyAck);
        awaitAck(SET_VRING_ADDR);
    }

    /**
     * GET_VRING_BASE: stops queue {@code index} and returns the next available-ring index the
     * back-end would have read (what a later SET_VRING_BASE resumes from).
     */
    public synchronized int getVringBase(int index) {
        request.putInt(HEADER_SIZE + STATE_INDEX, checkIndex(index)).putInt(HEADER_SIZE + STATE_NUM, 0);
        send(GET_VRING_BASE, STATE_SIZE, 0, false);
        readReply(GET_VRING_BASE, STATE_SIZE);
        int got = in.getInt(HEADER_SIZE + STATE_INDEX);
        if (got != index) {
            throw fail(Reason.MALFORMED_REPLY, "answered GET_VRING_BASE for queue " + index + " with queue " + got);
        }
        return in.getInt(HEADER_SIZE + STATE_NUM);
    }

    /** SET_VRING_KICK: the eventfd the guest's notifications arrive on ({@code fd} -1: none, the back-end polls). */
    public synchronized void setVringKick(int index, int fd) {
        sendVringFd(SET_VRING_KICK, index, fd);
    }

    /** SET_VRING_CALL: the eventfd the back-end signals to interrupt the guest. */
    public synchronized void setVringCall(int index, int fd) {
        sendVringFd(SET_VRING_CALL, index, fd);
    }

    /** SET_VRING_ERR: the eventfd the back-end signals when the queue fails. */
    public synchronized void setVringErr(int index, int fd) {
        sendVringFd(SET_VRING_ERR, index, fd);
    }

    /** GET_CONFIG (with PROTOCOL_F_CONFIG): {@code size} bytes of the device's configuration space from {@code offset}. */
    public synchronized byte[] getConfig(int offset, int size) {
        if (offset < 0 || size <= 0 || (long) offset + size > MAX_CONFIG_SIZE) {
            throw new IllegalArgumentException("configuration space range " + offset + "+" + size + " is outside 0.." + MAX_CONFIG_SIZE);
        }
        int p = HEADER_SIZE;
        request.putInt(p + CONFIG_OFFSET, offset).putInt(p + CONFIG_SIZE, size).putInt(p + CONFIG_FLAGS, 0);
        java.util.Arrays.fill(out, p + CONFIG_PAYLOAD, p + CONFIG_PAYLOAD + size, (byte) 0);
        send(GET_CONFIG, CONFIG_PAYLOAD + size, 0, false);
        readReply(GET_CONFIG, CONFIG_PAYLOAD + size);
        if (in.getInt(p + CONFIG_OFFSET) != offset || in.getInt(p + CONFIG_SIZE) != size) {
            throw fail(Reason.MALFORMED_REPLY, "answered GET_CONFIG for " + offset + "+" + size + " with "
                    + in.getInt(p + CONFIG_OFFSET) + "+" + in.getInt(p + CONFIG_SIZE));
        }
        byte[] config = new byte[size];
        in.get(p + CONFIG_PAYLOAD, config, 0, size);
        return config;
    }

    /** Whether requests without a reply of their own are acknowledged (REPLY_ACK negotiated). */
    public synchronized boolean acknowledged() {
        return replyAck;
    }

    /** Closes the connection; a back-end then stops serving this device. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Native.LIBC.close(socket);
        }
    }

    private void sendState(int type, int index, int num) {
        request.putInt(HEADER_SIZE + STATE_INDEX, checkIndex(index)).putInt(HEADER_SIZE + STATE_NUM, num);
        send(type, STATE_SIZE, 0, replyAck);
        awaitAck(type);
    }

    private void sendU64(int type, long value) {
        request.putLong(HEADER_SIZE, value);
        // SET_PROTOCOL_FEATURES is what turns REPLY_ACK on: it is acknowledged only when an earlier one did
        send(type, U64_SIZE, 0, replyAck);
        awaitAck(type);
    }

    private void sendVringFd(int type, int index, int fd) {
        long value = checkIndex(index) | (fd < 0 ? VRING_NOFD_MASK : 0);
        request.putLong(HEADER_SIZE, value);
        if (fd >= 0) {
            fds[0] = fd;
            send(type, U64_SIZE, 1, replyAck);
        } else {
            send(type, U64_SIZE, 0, replyAck);
        }
        awaitAck(type);
    }

    private static int checkIndex(int index) {
        if (index < 0 || index > VRING_INDEX_MASK) {
            throw new IllegalArgumentException("vhost-user queue index " + index + " is outside 0.." + VRING_INDEX_MASK);
        }
        return index;
    }

    private void send(int type, int payload, int fdCount, boolean needReply) {
        if (closed || broken) {
            throw new VhostUserException(Reason.BROKEN, "vhost-user back-end on " + socketPath + ": " + name(type)
                    + " not sent, the connection " + (closed ? "is closed" : "failed earlier"));
        }
        request.putInt(HDR_REQUEST, type).putInt(HDR_FLAGS, VERSION | (needReply ? FLAG_NEED_REPLY : 0)).putInt(HDR_SIZE, payload);
        int total = HEADER_SIZE + payload;
        long sent;
        do {
            sent = FdPassing.sendWithFds(socket, out, total, fds, fdCount);
        } while (sent < 0 && Native.errno() == LibC.EINTR);
        if (sent != total) {
            String why = sent >= 0 ? "only " + sent + " of " + total + " bytes went out"
                    : Native.errno() == LibC.EAGAIN ? "the back-end took nothing within " + timeoutMs + " ms"
                    : Native.LIBC.strerror(Native.errno());
            throw fail(Reason.SEND, name(type) + " could not be sent: " + why);
        }
    }

    private void awaitAck(int type) {
        if (replyAck) {
            long status = replyU64(type);
            if (status != 0) {
                throw new VhostUserException(Reason.REFUSED, "vhost-user back-end on " + socketPath + " refused " + name(type)
                        + " (status " + status + ")");
            }
        }
    }

    private long replyU64(int type) {
        readReply(type, U64_SIZE);
        return in.getLong(HEADER_SIZE);
    }

    /** Reads one reply to {@code type} whose payload must be exactly {@code size} bytes. */
    private void readReply(int type, int size) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        readFully(0, HEADER_SIZE, type, deadline);
        int got = in.getInt(HDR_REQUEST), flags = in.getInt(HDR_FLAGS), length = in.getInt(HDR_SIZE);
        if (got != type || (flags & VERSION_MASK) != VERSION || (flags & FLAG_REPLY) == 0 || length != size) {
            throw fail(Reason.MALFORMED_REPLY, "answered " + name(type) + " with " + name(got) + ", flags 0x"
                    + Integer.toHexString(flags) + ", " + Integer.toUnsignedString(length) + " bytes of payload (expected a reply of "
                    + size + " bytes, version 1)");
        }
        readFully(HEADER_SIZE, size, type, deadline);
    }

    private void readFully(int offset, int length, int type, long deadline) {
        int done = 0;
        while (done < length) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            int ready = left <= 0 ? 0 : Native.LIBC.poll(pollFd.address(), 1, (int) Math.min(left, Integer.MAX_VALUE));
            if (ready < 0 && Native.errno() == LibC.EINTR) {
                continue;
            }
            if (ready == 0) {
                throw fail(Reason.TIMEOUT, "no " + (done + offset == 0 ? "" : "complete ") + "reply to " + name(type)
                        + " within " + timeoutMs + " ms");
            }
            long n = ready < 0 ? -1 : Native.LIBC.read(socket, in.address() + offset + done, length - done);
            if (n == 0) {
                throw fail(Reason.CLOSED, "the connection closed instead of a reply to " + name(type));
            }
            if (n < 0) {
                int errno = Native.errno();
                if (errno == LibC.EINTR || errno == LibC.EAGAIN) {
                    continue;
                }
                throw fail(Reason.CLOSED, "the connection failed awaiting the reply to " + name(type) + ": "
                        + Native.LIBC.strerror(errno));
            }
            done += (int) n;
        }
    }

    private VhostUserException fail(Reason reason, String what) {
        broken = true;
        return new VhostUserException(reason, "vhost-user back-end on " + socketPath + ": " + what);
    }
}
