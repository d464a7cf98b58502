package dev.ember.devices.mmds;

import static dev.ember.devices.mmds.Wire.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ember.metrics.Metrics;
import java.util.HashMap;
import java.util.Map;

/**
 * The metadata service's ARP and TCP/IPv4 stack on what a hostile guest sends it: a sequence of
 * frames (TCP segments with fuzzed ports, flags, sequence and acknowledgement numbers, windows and
 * payloads, often acknowledging what the stack last sent so the fuzzer gets past the handshake;
 * IPv4 frames whose headers are raw bytes; ARP) and clock jumps that run the retransmission and
 * idle timers. A finding is any exception, a frame the stack sends that is not well formed (every
 * TCP segment's addresses, lengths and IPv4/TCP checksums are checked), or the stack never
 * running out of frames to send.
 */
class MmdsStackFuzzTest {
    private static final TcpLimits LIMITS = new TcpLimits(4, 8, 512);
    /** More frames than any sequence of one input can owe the guest: beyond it the stack loops. */
    private static final int MAX_FRAMES_PER_STEP = 10_000;

    /** Entry point for Jazzer's own launcher (the long run in docs/testing.md). */
    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        new MmdsStackFuzzTest().frames(data);
    }

    @FuzzTest(maxDuration = "5s")
    void frames(FuzzedDataProvider data) {
        long[] now = {1_000_000_000L};
        // Answers a request ("\r\n\r\n"-terminated) with as many bytes as its first byte says,
        // keeping the connection open or closing it; a full buffer is answered and closed.
        MmdsRequestHandler handler = (rx, len, full) -> {
            for (int i = 3; i < len; i++) {
                if (rx[i] == '\n' && rx[i - 1] == '\r' && rx[i - 2] == '\n' && rx[i - 3] == '\r') {
                    int n = (rx[0] & 0xFF) * 37;
                    return new MmdsRequestHandler.Reply(i + 1, new byte[n], (rx[0] & 1) != 0);
                }
            }
            return full ? new MmdsRequestHandler.Reply(len, new byte[] {'F'}, true) : null;
        };
        MmdsNetworkStack stack = new MmdsNetworkStack(GuestEnd.MMDS_IP, handler,
                new MmdsMetrics(Metrics.group("mmds_fuzz")), LIMITS, () -> now[0]);
        byte[] out = new byte[MmdsNetworkStack.maxFrameSize()];
        Map<Integer, int[]> peer = new HashMap<>(); // guest port -> {next seq of ours, what the stack sent up to}
        while (data.remainingBytes() > 0) {
            switch (data.consumeInt(0, 4)) {
                case 0, 1 -> {
                    int port = data.consumeInt(1000, 1003);
                    int[] s = peer.computeIfAbsent(port, p -> new int[] {data.consumeInt(), 0});
                    int flags = data.consumeInt(0, 0x3F);
                    boolean tracked = data.consumeBoolean();
                    int seq = tracked ? s[0] : data.consumeInt();
                    int ack = tracked ? s[1] : data.consumeInt();
                    int window = data.consumeInt(0, 0xFFFF);
                    byte[] payload = data.consumeBytes(data.consumeInt(0, 1600));
                    byte[] f = new GuestEnd(port, seq).segment(GuestEnd.MMDS_IP, data.consumeBoolean() ? MmdsNetworkStack.MMDS_PORT
                            : data.consumeInt(0, 0xFFFF), flags, seq, ack, window, payload.length == 0 ? null : payload, data.consumeBoolean());
                    stack.accept(f, f.length);
                    if (tracked) {
                        s[0] = seq + payload.length + ((flags & (SYN | FIN)) != 0 ? 1 : 0);
                    }
                }
                case 2 -> {
                    // IPv4 to the MMDS from the guest, everything after the addresses raw.
                    byte[] raw = data.consumeBytes(data.consumeInt(0, 1600));
                    byte[] f = new byte[ETH_HLEN + IP_HLEN + raw.length];
                    putMac(f, ETH_DST, MmdsNetworkStack.MMDS_MAC);
                    putMac(f, ETH_SRC, GuestEnd.GUEST_MAC);
                    put16(f, ETH_TYPE, ETHERTYPE_IPV4);
                    f[ETH_HLEN] = (byte) (data.consumeBoolean() ? 0x45 : data.consumeByte());
                    put16(f, ETH_HLEN + IP_TOTAL_LEN, data.consumeBoolean() ? IP_HLEN + raw.length : data.consumeInt(0, 0xFFFF));
                    put16(f, ETH_HLEN + IP_FRAG, data.consumeInt(0, 0xFFFF));
                    f[ETH_HLEN + IP_TTL] = 64;
                    f[ETH_HLEN + IP_PROTO] = (byte) (data.consumeBoolean() ? PROTO_TCP : data.consumeByte());
                    put32(f, ETH_HLEN + IP_SRC, GuestEnd.GUEST_IP);
                    put32(f, ETH_HLEN + IP_DST, GuestEnd.MMDS_IP);
                    System.arraycopy(raw, 0, f, ETH_HLEN + IP_HLEN, raw.length);
                    stack.accept(f, f.length);
                }
                case 3 -> {
                    byte[] f = data.consumeBytes(ETH_HLEN + ARP_LEN + 4);
                    if (f.length >= ETH_HLEN + ARP_LEN) {
                        putMac(f, ETH_SRC, GuestEnd.GUEST_MAC);
                        put16(f, ETH_TYPE, ETHERTYPE_ARP);
                        stack.accept(f, f.length);
                    }
                }
                default -> {
                    now[0] += data.consumeLong(0, 120_000_000_000L);
                    stack.runTimers();
                }
            }
            int frames = 0;
            int n;
            while ((n = stack.nextFrame(out)) > 0) {
                assertTrue(++frames < MAX_FRAMES_PER_STEP, "the stack never runs out of frames to send");
                assertTrue(n <= out.length, "frame of " + n + " bytes");
                if (u16(out, ETH_TYPE) == ETHERTYPE_IPV4) {
                    GuestEnd.Seg seg = GuestEnd.Seg.parse(out, n); // addresses, lengths, checksums
                    int[] s = peer.get(seg.dstPort());
                    if (s != null) {
                        s[1] = seg.seq() + seg.data().length + (seg.has(SYN) || seg.has(FIN) ? 1 : 0);
                    }
                }
            }
        }
    }
}
