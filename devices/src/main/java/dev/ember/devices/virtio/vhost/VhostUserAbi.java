package dev.ember.devices.virtio.vhost;

/**
 * The vhost-user protocol's wire format (QEMU's docs/interop/vhost-user.rst), declared once:
 * the message header, the payloads a front-end sends or reads, the request codes and the
 * feature bits. Everything is little-endian (x86_64's native order, which the protocol uses).
 * The layouts are not in any system header; VhostUserAbiTest declares the spec's structs in C
 * and checks every offset and size here against gcc, and the two vring payloads against
 * {@code <linux/vhost_types.h>}, whose structs they are.
 */
public final class VhostUserAbi {
    private VhostUserAbi() {}

    /** Header: {@code u32 request, u32 flags, u32 size} (of the payload that follows). */
    public static final int HEADER_SIZE = 12, HDR_REQUEST = 0, HDR_FLAGS = 4, HDR_SIZE = 8;
    /** Flags: bits 0-1 the version (1), bit 2 a reply, bit 3 a request that asks for an acknowledgement. */
    public static final int VERSION_MASK = 0x3, VERSION = 0x1, FLAG_REPLY = 1 << 2, FLAG_NEED_REPLY = 1 << 3;

    /** A u64 payload (features, an acknowledgement, a vring index with an fd). */
    public static final int U64_SIZE = 8;
    /** SET_VRING_KICK/CALL/ERR's u64: the queue index in bits 0-7; bit 8 set means no fd is attached. */
    public static final long VRING_INDEX_MASK = 0xff, VRING_NOFD_MASK = 1 << 8;

    /** Vring state ({@code struct vhost_vring_state}): index, num (a size, a base or an enable flag). */
    public static final int STATE_SIZE = 8, STATE_INDEX = 0, STATE_NUM = 4;
    /** Vring address ({@code struct vhost_vring_addr}); the three ring addresses are front-end virtual addresses. */
    public static final int ADDR_SIZE = 40, ADDR_INDEX = 0, ADDR_FLAGS = 4, ADDR_DESC = 8, ADDR_USED = 16, ADDR_AVAIL = 24,
            ADDR_LOG = 32;

    /** Memory region description: guest address, size, front-end address, offset into the fd sent with it. */
    public static final int REGION_SIZE = 32, REGION_GUEST_ADDR = 0, REGION_MEMORY_SIZE = 8, REGION_USER_ADDR = 16,
            REGION_MMAP_OFFSET = 24;
    /** Memory table: {@code u32 nregions, u32 padding}, then the regions; one fd per region rides along. */
    public static final int MEMORY_NREGIONS = 0, MEMORY_PADDING = 4, MEMORY_REGIONS = 8;
    /** How many regions (and so fds) SET_MEM_TABLE may carry. */
    public static final int MAX_REGIONS = 8;

    /** Device configuration space: {@code u32 offset, u32 size, u32 flags}, then {@code size} bytes. */
    public static final int CONFIG_OFFSET = 0, CONFIG_SIZE = 4, CONFIG_FLAGS = 8, CONFIG_PAYLOAD = 12;
    /** The largest configuration space the protocol carries. */
    public static final int MAX_CONFIG_SIZE = 256;

    /** The largest payload this front-end sends or accepts: a configuration space read. */
    public static final int MAX_PAYLOAD = CONFIG_PAYLOAD + MAX_CONFIG_SIZE;

    /** Front-end request codes. */
    public static final int GET_FEATURES = 1, SET_FEATURES = 2, SET_OWNER = 3, RESET_OWNER = 4, SET_MEM_TABLE = 5,
            SET_VRING_NUM = 8, SET_VRING_ADDR = 9, SET_VRING_BASE = 10, GET_VRING_BASE = 11, SET_VRING_KICK = 12,
            SET_VRING_CALL = 13, SET_VRING_ERR = 14, GET_PROTOCOL_FEATURES = 15, SET_PROTOCOL_FEATURES = 16,
            GET_QUEUE_NUM = 17, SET_VRING_ENABLE = 18, GET_CONFIG = 24;

    /** The virtio feature bit (30) a back-end sets to say it speaks protocol features. */
    public static final int F_PROTOCOL_FEATURES = 30;
    /** Protocol feature bits: several queues, acknowledged requests, configuration space access. */
    public static final int PROTOCOL_F_MQ = 0, PROTOCOL_F_REPLY_ACK = 3, PROTOCOL_F_CONFIG = 9;

    /** The request's name for messages (the spec's, without the VHOST_USER_ prefix). */
    public static String name(int request) {
        return switch (request) {
            case GET_FEATURES -> "GET_FEATURES";
            case SET_FEATURES -> "SET_FEATURES";
            case SET_OWNER -> "SET_OWNER";
            case RESET_OWNER -> "RESET_OWNER";
            case SET_MEM_TABLE -> "SET_MEM_TABLE";
            case SET_VRING_NUM -> "SET_VRING_NUM";
            case SET_VRING_ADDR -> "SET_VRING_ADDR";
            case SET_VRING_BASE -> "SET_VRING_BASE";
            case GET_VRING_BASE -> "GET_VRING_BASE";
            case SET_VRING_KICK -> "SET_VRING_KICK";
            case SET_VRING_CALL -> "SET_VRING_CALL";
            case SET_VRING_ERR -> "SET_VRING_ERR";
            case GET_PROTOCOL_FEATURES -> "GET_PROTOCOL_FEATURES";
            case SET_PROTOCOL_FEATURES -> "SET_PROTOCOL_FEATURES";
            case GET_QUEUE_NUM -> "GET_QUEUE_NUM";
            case SET_VRING_ENABLE -> "SET_VRING_ENABLE";
            case GET_CONFIG -> "GET_CONFIG";
            default -> "request " + request;
        };
    }
}
