package dev.ember.devices.mmds;

/**
 * Big-endian field access and the Internet checksum over byte arrays: the frame layouts the
 * stack reads and writes (Ethernet II, ARP for IPv4, IPv4 without options, TCP).
 */
final class Wire {
    static final int ETH_HLEN = 14;
    static final int ETH_DST = 0, ETH_SRC = 6, ETH_TYPE = 12;
    static final int ETHERTYPE_IPV4 = 0x0800, ETHERTYPE_ARP = 0x0806;

    static final int ARP_LEN = 28;
    static final int ARP_HTYPE = 0, ARP_PTYPE = 2, ARP_HLEN = 4, ARP_PLEN = 5, ARP_OPER = 6,
            ARP_SHA = 8, ARP_SPA = 14, ARP_THA = 18, ARP_TPA = 24;
    static final int ARP_REQUEST = 1, ARP_REPLY = 2;

    static final int IP_HLEN = 20;
    static final int IP_VER_IHL = 0, IP_TOTAL_LEN = 2, IP_ID = 4, IP_FRAG = 6, IP_TTL = 8, IP_PROTO = 9,
            IP_CSUM = 10, IP_SRC = 12, IP_DST = 16;
    static final int PROTO_TCP = 6;
    static final int IP_FLAG_DF = 0x4000, IP_FLAG_MF = 0x2000, IP_FRAG_OFFSET_MASK = 0x1FFF;

    static final int TCP_HLEN = 20;
    static final int TCP_SPORT = 0, TCP_DPORT = 2, TCP_SEQ = 4, TCP_ACK = 8, TCP_OFF = 12, TCP_FLAGS = 13,
            TCP_WIN = 14, TCP_CSUM = 16, TCP_URG = 18;
    static final int FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;
    static final int OPT_END = 0, OPT_NOP = 1, OPT_MSS = 2;

    private Wire() {
    }

    static int u8(byte[] b, int o) {
        return b[o] & 0xFF;
    }

    static int u16(byte[] b, int o) {
        return (b[o] & 0xFF) << 8 | (b[o + 1] & 0xFF);
    }

    static int i32(byte[] b, int o) {
        return (b[o] & 0xFF) << 24 | (b[o + 1] & 0xFF) << 16 | (b[o + 2] & 0xFF) << 8 | (b[o + 3] & 0xFF);
    }

    /** Six bytes as the low 48 bits of a long. */
    static long mac(byte[] b, int o) {
        long v = 0;
        for (int i = 0; i < 6; i++) {
            v = v << 8 | (b[o + i] & 0xFF);
        }
        return v;
    }

    static void put16(byte[] b, int o, int v) {
        b[o] = (byte) (v >>> 8);
        b[o + 1] = (byte) v;
    }

    static void put32(byte[] b, int o, int v) {
        b[o] = (byte) (v >>> 24);
        b[o + 1] = (byte) (v >>> 16);
        b[o + 2] = (byte) (v >>> 8);
        b[o + 3] = (byte) v;
    }

    static void putMac(byte[] b, int o, long mac) {
        for (int i = 5; i >= 0; i--) {
            b[o + i] = (byte) mac;
            mac >>>= 8;
        }
    }

    /** One's-complement sum of {@code [o, o+len)} added to {@code sum}, not yet folded. */
    static long sum(byte[] b, int o, int len, long sum) {
        int end = o + (len & ~1);
        for (int i = o; i < end; i += 2) {
            sum += (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
        }
        if ((len & 1) != 0) {
            sum += (b[o + len - 1] & 0xFF) << 8;
        }
        return sum;
    }

    static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) (~sum & 0xFFFF);
    }

    /** The TCP checksum of the segment at {@code [tcp, tcp+len)} with the IPv4 pseudo-header. */
    static int tcpChecksum(byte[] b, int tcp, int len, int srcIp, int dstIp) {
        long s = (srcIp >>> 16) + (srcIp & 0xFFFF) + (dstIp >>> 16) + (dstIp & 0xFFFF) + PROTO_TCP + len;
        return fold(sum(b, tcp, len, s));
    }

    /** a < b in sequence space (RFC 793's modular comparison). */
    static boolean seqLt(int a, int b) {
        return a - b < 0;
    }

    static boolean seqLe(int a, int b) {
        return a - b <= 0;
    }
}
