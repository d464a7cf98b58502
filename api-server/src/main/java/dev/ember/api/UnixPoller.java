package dev.ember.api;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.function.Consumer;

/**
 * The API's selector thread: accepts AF_UNIX connections and reports socket readiness to
 * each connection's conduit, which hands it to the XNIO I/O thread. It never parses HTTP.
 */
final class UnixPoller implements Runnable {
    private static final System.Logger LOG = System.getLogger(UnixPoller.class.getName());

    private final Selector selector;
    private final ServerSocketChannel server;
    private final Consumer<SocketChannel> onAccept;
    private volatile boolean running = true;

    UnixPoller(ServerSocketChannel server, Consumer<SocketChannel> onAccept) throws IOException {
        this.selector = Selector.open();
        this.server = server;
        this.onAccept = onAccept;
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
    }

    SelectionKey register(SocketChannel channel, UnixSocketConduit conduit) throws ClosedChannelException {
        SelectionKey key = channel.register(selector, 0, conduit);
        selector.wakeup();
        return key;
    }

    void wakeup() {
        selector.wakeup();
    }

    void stop() {
        running = false;
        selector.wakeup();
    }

    @Override
    public void run() {
        try {
            while (running) {
                selector.select(this::handle);
            }
        } catch (ClosedSelectorException e) {
            // Closed during shutdown.
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "API socket poller failed: " + e.getMessage());
        } finally {
            try {
                selector.close();
            } catch (IOException ignored) {
                // Nothing to do on the way out.
            }
        }
    }

    private void handle(SelectionKey key) {
        if (!key.isValid()) {
            return;
        }
        if (key.channel() == server) {
            acceptAll();
            return;
        }
        ((UnixSocketConduit) key.attachment()).ready(key.readyOps());
    }

    private void acceptAll() {
        while (true) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "accept on the API socket failed: " + e.getMessage());
                return;
            }
            if (channel == null) {
                return;
            }
            try {
                channel.configureBlocking(false);
                onAccept.accept(channel);
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "dropping API connection: " + e.getMessage());
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // Already failing.
                }
            }
        }
    }
}
