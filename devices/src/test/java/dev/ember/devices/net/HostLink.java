package dev.ember.devices.net;

import dev.ember.testing.RawFrames;
import java.io.IOException;
import java.util.List;

/**
 * The host end of a TAP inside a {@link NetNamespace}: raw Ethernet frames sent and captured on
 * the interface with an AF_PACKET socket (python3, {@link RawFrames}), i.e. exactly what the
 * host network stack puts on or takes off the TAP.
 */
public final class HostLink {
    /** IEEE 802 "local experimental" EtherType: nothing else on the link uses it. */
    public static final int ETHERTYPE = RawFrames.ETHERTYPE;

    private final NetNamespace ns;
    private final String ifName;

    public HostLink(NetNamespace ns, String ifName) {
        this.ns = ns;
        this.ifName = ifName;
    }

    /** Builds a frame: destination, source, our EtherType, then {@code payload}. */
    public static byte[] frame(byte[] dst, byte[] src, byte[] payload) {
        return RawFrames.frame(dst, src, payload);
    }

    /** Transmits frames from the host side of the TAP (they arrive on the TAP fd). */
    public void send(byte[]... frames) throws IOException {
        RawFrames.send(ns.host(), ifName, List.of(frames));
    }

    /** A capture of frames with our EtherType that the host side receives from the TAP. */
    public static final class Capture implements AutoCloseable {
        private final RawFrames.Capture capture;
        private final String ifName;

        Capture(RawFrames.Capture capture, String ifName) {
            this.capture = capture;
            this.ifName = ifName;
        }

        /** The next captured frame (waits up to the capture's 20 s socket timeout). */
        public byte[] next() throws IOException {
            byte[] f = capture.next();
            if (f == null) {
                throw new IOException("capture on " + ifName + " ended without a frame");
            }
            return f;
        }

        @Override
        public void close() throws IOException {
            capture.close();
        }
    }

    /** Starts capturing {@code count} frames; returns once the socket is bound. */
    public Capture capture(int count) throws IOException {
        return new Capture(new RawFrames.Capture(ns.host(), ifName, count, 20), ifName);
    }
}
