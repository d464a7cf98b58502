package dev.ember.devices.mmds;

import static dev.ember.devices.mmds.Wire.*;

import java.nio.charset.StandardCharsets;

/** The guest's side of a test connection: crafts frames and reads the stack's answers. */
public final class GuestEnd {
    static final long GUEST_MAC = 0x06_00_AC_10_00_02L;
    static final int GUEST_IP = 0xA9FE0002; // 169.254.0.2
    static final int MMDS_IP = 0xA9FEA9FE;

    final int port;
    int seq;        // our next sequence number
    int ack;        // what we acknowledge
    int window = 65535;
    boolean finSeen;

    public GuestEnd(int port, int isn) {
        this.port = port;
        this.seq = isn;
    }

    public byte[] segment(int flags, byte[] data) {
        return segment(MMDS_IP, MmdsNetworkStack.MMDS_PORT, flags, seq, ack, window, data, true);
    }

    byte[] segment(int dstIp, int dstPort, int flags, int s, int a, int win, byte[] data, boolean mss) {
        int opt = mss && (flags & SYN) != 0 ? 4 : 0;
        int len = data == null ? 0 : data.length;
        byte[] f = new byte[ETH_HLEN + IP_HLEN + TCP_HLEN + opt + len];
        putMac(f, ETH_DST, MmdsNetworkStack.MMDS_MAC);
        putMac(f, ETH_SRC, GUEST_MAC);
        put16(f, ETH_TYPE, ETHERTYPE_IPV4);
        int ip = ETH_HLEN;
        f[ip] = 0x45;
        put16(f, ip + IP_TOTAL_LEN, IP_HLEN + TCP_HLEN + opt + len);
        f[ip + IP_TTL] = 64;
        f[ip + IP_PROTO] = PROTO_TCP;
        put32(f, ip + IP_SRC, GUEST_IP);
        put32(f, ip + IP_DST, dstIp);
        int t = ip + IP_HLEN;
        put16(f, t + TCP_SPORT, port);
        put16(f, t + TCP_DPORT, dstPort);
        put32(f, t + TCP_SEQ, s);
        put32(f, t + TCP_ACK, a);
        f[t + TCP_OFF] = (byte) (((TCP_HLEN + opt) / 4) << 4);
        f[t + TCP_FLAGS] = (byte) flags;
        put16(f, t + TCP_WIN, win);
        if (opt > 0) {
            f[t + TCP_HLEN] = OPT_MSS;
            f[t + TCP_HLEN + 1] = 4;
            put16(f, t + TCP_HLEN + 2, 1460);
        }
        if (len > 0) {
            System.arraycopy(data, 0, f, t + TCP_HLEN + opt, len);
        }
        return f;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** One TCP segment the stack sent, parsed and checked (checksums, addresses). */
    public record Seg(int dstPort, int flags, int seq, int ack, int window, byte[] data, int mss) {
        public boolean has(int f) {
            return (flags & f) == f;
        }

        String text() {
            return new String(data, StandardCharsets.US_ASCII);
        }

        public static Seg parse(byte[] f, int len) {
            if (u16(f, ETH_TYPE) != ETHERTYPE_IPV4 || mac(f, ETH_SRC) != MmdsNetworkStack.MMDS_MAC || mac(f, ETH_DST) != GUEST_MAC) {
                throw new AssertionError("not an IPv4 frame from the MMDS to the guest");
            }
            int ip = ETH_HLEN;
            int total = u16(f, ip + IP_TOTAL_LEN);
            if (ETH_HLEN + total != len || fold(sum(f, ip, IP_HLEN, 0)) != 0) {
                throw new AssertionError("bad IPv4 length or header checksum");
            }
            if (i32(f, ip + IP_SRC) != MMDS_IP || i32(f, ip + IP_DST) != GUEST_IP || u8(f, ip + IP_PROTO) != PROTO_TCP) {
                throw new AssertionError("bad IPv4 addresses or protocol");
            }
            int t = ip + IP_HLEN;
            int tcpLen = total - IP_HLEN;
            if (tcpChecksum(f, t, tcpLen, MMDS_IP, GUEST_IP) != 0) {
                throw new AssertionError("bad TCP checksum");
            }
            int off = (u8(f, t + TCP_OFF) >>> 4) * 4;
            int mss = off == 24 && u8(f, t + TCP_HLEN) == OPT_MSS ? u16(f, t + TCP_HLEN + 2) : 0;
            byte[] data = java.util.Arrays.copyOfRange(f, t + off, t + tcpLen);
            if (u16(f, t + TCP_SPORT) != MmdsNetworkStack.MMDS_PORT) {
                throw new AssertionError("source port is not 80");
            }
            return new Seg(u16(f, t + TCP_DPORT), u8(f, t + TCP_FLAGS), i32(f, t + TCP_SEQ), i32(f, t + TCP_ACK),
                    u16(f, t + TCP_WIN), data, mss);
        }
    }
}
