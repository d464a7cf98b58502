package dev.ember.api;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import org.xnio.StreamConnection;
import org.xnio.XnioIoThread;

/** An accepted AF_UNIX connection presented to Undertow as an XNIO {@link StreamConnection}. */
final class UnixStreamConnection extends StreamConnection {
    private final UnixSocketConduit conduit;

    UnixStreamConnection(XnioIoThread thread, SocketChannel channel, UnixPoller poller) throws IOException {
        super(thread);
        conduit = new UnixSocketConduit(channel, thread, this, poller);
        setSourceConduit(conduit);
        setSinkConduit(conduit);
        conduit.register();
    }

    /** See {@link UnixSocketConduit#lingerAndClose()}; I/O thread only. */
    void lingerAndClose() {
        conduit.lingerAndClose();
    }

    /** See {@link UnixSocketConduit#requestInProgress(boolean)}. */
    void requestInProgress(boolean inProgress) {
        conduit.requestInProgress(inProgress);
    }

    boolean markReadClosed() {
        return readClosed();
    }

    boolean markWriteClosed() {
        return writeClosed();
    }

    @Override
    protected void closeAction() throws IOException {
        conduit.close();
    }

    @Override
    public SocketAddress getPeerAddress() {
        try {
            return conduit.channel().getRemoteAddress();
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public SocketAddress getLocalAddress() {
        try {
            return conduit.channel().getLocalAddress();
        } catch (IOException e) {
            return null;
        }
    }
}
