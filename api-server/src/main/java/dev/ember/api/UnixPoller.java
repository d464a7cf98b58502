package dev.ember.api;

import dev.ember.log.Log;
import dev.ember.log.RateLimitedLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The API's selector: accepts AF_UNIX connections and reports socket readiness to each
 * connection's conduit. The XNIO I/O thread ({@link ApiIoThread}) waits in it between its
 * tasks ({@link #pollOnce}), so readiness, accepts and Undertow's parsing all run on that one
 * thread.
 *
 * <p>Connections are set up as they are accepted ({@code onAccept}), so a new one counts, and
 * can be chosen, at once.
 *
 * <p>Bounds: at most {@link #maxConnections} connections are open. A connection accepted at
 * the limit takes the place of the one that has been quiet longest among those with no request
 * in progress, so idle connections held by a hostile client never lock out a real one; when
 * every open connection has a request in progress the new one is answered 503 and closed, as
 * Firecracker does. Accepting never stops because of the limit, so the listen backlog drains.
 * When accept fails for want of file descriptors (a jail's RLIMIT_NOFILE below the limit), the
 * quietest idle connection makes room the same way; otherwise, and for any other accept error,
 * accepting pauses briefly instead of spinning.
 */
final class UnixPoller {
    private static final System.Logger LOG = Log.logger(UnixPoller.class);
    /** After a failed accept: long enough not to spin on a listen socket that stays readable. */
    static final long ACCEPT_PAUSE_MILLIS = 100;
    private static final String FULL_BODY =
            "{\"fault_message\":\"Too many open connections: every one has a request in progress; retry later.\"}";
    private static final byte[] SERVER_FULL = ("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
            + "Content-Type: application/json\r\nContent-Length: " + FULL_BODY.length() + "\r\n\r\n" + FULL_BODY)
            .getBytes(StandardCharsets.US_ASCII);

    private final RateLimitedLog limitLog = new RateLimitedLog(LOG, 1, 60_000);
    private final RateLimitedLog acceptLog = new RateLimitedLog(LOG, 1, 10_000);
    private final Selector selector;
    private final ServerSocketChannel server;
    private final SelectionKey acceptKey;
    private final Consumer<SocketChannel> onAccept;
    private final int maxConnections;
    /** Every accepted connection until its socket is closed. */
    private final Set<UnixSocketConduit> open = ConcurrentHashMap.newKeySet();
    private long acceptPausedUntil;
    private volatile boolean running = true;
    /** The thread that selects (set at its first {@link #pollOnce}): its own interest changes need no wake-up. */
    private volatile Thread pollingThread;

    UnixPoller(ServerSocketChannel server, Consumer<SocketChannel> onAccept, int maxConnections) throws IOException {
        this.selector = Selector.open();
        this.server = server;
        this.onAccept = onAccept;
        this.maxConnections = withinFdLimit(maxConnections);
        server.configureBlocking(false);
        this.acceptKey = server.register(selector, SelectionKey.OP_ACCEPT);
    }

    /**
     * File descriptors the connection limit leaves free for the rest of the VMM, however many
     * connections a client holds: the libc binding's library search right after the API starts
     * serving, drives and TAPs at InstanceStart, snapshot, log and metrics files. Without them a
     * client holding idle connections under a low RLIMIT_NOFILE filled the fd table (accept made
     * room for the next connection, nothing else did) and the VMM's own opens failed with EMFILE.
     */
    static final int FD_HEADROOM = 48;

    /**
     * {@code maxConnections}, lowered when the process's open-file limit leaves less room than
     * that above the fds open now and {@link #FD_HEADROOM}; at least 1. Read from /proc/self
     * (no libc binding yet when the server is built).
     */
    static int withinFdLimit(int maxConnections) {
        long limit = -1;
        long openNow;
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                    limit = soft.equals("unlimited") ? -1 : Long.parseLong(soft);
                }
            }
            // Counted by iteration: a stream pipeline's first use sets up ~25 classes on main at start.
            long n = 0;
            try (java.nio.file.DirectoryStream<java.nio.file.Path> fds = java.nio.file.Files.newDirectoryStream(java.nio.file.Path.of("/proc/self/fd"))) {
                for (java.nio.file.Path ignored : fds) {
                    n++;
                }
            }
            openNow = n;
        } catch (IOException | RuntimeException e) {
            return maxConnections; // no /proc: accept's EMFILE handling still makes room
        }
        if (limit < 0) {
            return maxConnections;
        }
        long room = limit - openNow - FD_HEADROOM;
        if (room >= maxConnections) {
            return maxConnections;
        }
        int cap = (int) Math.max(1, room);
        long l = limit;
        LOG.log(System.Logger.Level.WARNING, () -> "API connections limited to " + cap + " (not " + maxConnections + "): the open-file limit is "
                + l + " with " + openNow + " open and " + FD_HEADROOM + " kept for the VMM; raise it (ulimit -n, the jailer's --resource-limit no-file)");
        return cap;
    }

    /** Called on this thread, from {@code onAccept}: the connection counts from here on. */
    SelectionKey register(SocketChannel channel, UnixSocketConduit conduit) throws ClosedChannelException {
        SelectionKey key = channel.register(selector, 0, conduit);
        open.add(conduit);
        return key;
    }

    /** The conduit's socket is closed. */
    void closed(UnixSocketConduit conduit) {
        open.remove(conduit);
    }

    int openConnections() {
        return open.size();
    }

    /**
     * Makes a select in progress on another thread return. Not needed on the selecting thread
     * itself: an interest change made there applies at its next select.
     */
    void wakeup() {
        if (Thread.currentThread() != pollingThread) {
            selector.wakeup();
        }
    }

    void stop() {
        running = false;
        selector.wakeup();
    }

    boolean running() {
        return running;
    }

    /**
     * Waits up to {@code waitNanos} (Long.MAX_VALUE: until woken) for readiness and handles
     * what is ready: accepts, and each ready connection's conduit queues its work on the I/O
     * thread. Returns at once when stopped.
     */
    void pollOnce(long waitNanos) {
        pollingThread = Thread.currentThread();
        if (!running) {
            return;
        }
        long timeout = waitNanos == Long.MAX_VALUE ? 0 : Math.max(1, (waitNanos + 999_999) / 1_000_000);
        if (acceptPausedUntil != 0) {
            long pause = Math.max(1, (acceptPausedUntil - System.nanoTime()) / 1_000_000);
            timeout = timeout == 0 ? pause : Math.min(timeout, pause);
        }
        try {
            selector.select(this::handle, timeout);
            if (acceptPausedUntil != 0 && System.nanoTime() - acceptPausedUntil >= 0) {
                acceptPausedUntil = 0;
                acceptKey.interestOps(SelectionKey.OP_ACCEPT);
            }
        } catch (ClosedSelectorException e) {
            running = false; // closed during shutdown
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "API socket poller failed: " + e.getMessage());
            running = false;
        }
    }

    private final java.util.concurrent.CountDownLatch selectorClosed = new java.util.concurrent.CountDownLatch(1);

    /** After {@link #stop}, on the selecting thread (or by the owner if none ever selected): releases the selector. */
    void closeSelector() {
        try {
            selector.close();
        } catch (IOException ignored) {
            // Nothing to do on the way out.
        }
        selectorClosed.countDown();
    }

    /** Waits up to {@code millis} for {@link #closeSelector}: no readiness is handled after it. */
    boolean awaitSelectorClosed(long millis) throws InterruptedException {
        return selectorClosed.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void handle(SelectionKey key) {
        if (!key.isValid()) {
            return;
        }
        if (key == acceptKey) {
            acceptAll();
            return;
        }
        ((UnixSocketConduit) key.attachment()).ready(key.readyOps());
    }

    /**
     * Connections accepted per wake-up. A socket closed while registered with the selector keeps
     * its fd until the next selection deregisters it, so a burst accepted in one go (each new
     * connection replacing the quietest) would hold one fd per replaced connection and fill the
     * fd table; the listen socket stays ready, so the next select comes at once and frees them.
     * Well below {@link #FD_HEADROOM}.
     */
    static final int ACCEPT_BATCH = 16;

    private void acceptAll() {
        for (int batch = 0; batch < ACCEPT_BATCH; batch++) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                // Out of fds (EMFILE, ENFILE): an idle connection's fd is worth less than a new client's.
                if (String.valueOf(e.getMessage()).contains("Too many open files")
                        && evictQuietest("out of file descriptors (" + e.getMessage() + ")")) {
                    continue;
                }
                acceptLog.log(System.Logger.Level.WARNING, () -> "accept on the API socket failed: " + e.getMessage()
                        + "; pausing accepts for " + ACCEPT_PAUSE_MILLIS + " ms");
                acceptKey.interestOps(0);
                acceptPausedUntil = System.nanoTime() + ACCEPT_PAUSE_MILLIS * 1_000_000;
                return;
            }
            if (channel == null) {
                return;
            }
            if (openConnections() >= maxConnections && !evictQuietest("limit (" + maxConnections + ") reached")) {
                refuse(channel);
                continue;
            }
            try {
                channel.configureBlocking(false);
                onAccept.accept(channel);
            } catch (IOException | RuntimeException e) {
                acceptLog.log(System.Logger.Level.WARNING, () -> "dropping API connection: " + e.getMessage());
                closeQuietly(channel);
            }
        }
    }

    /** Closes the connection with no request in progress that has been quiet longest; false if there is none. */
    private boolean evictQuietest(String why) {
        UnixSocketConduit quietest = null;
        for (UnixSocketConduit c : open) {
            if (!c.requestInProgress() && (quietest == null || c.lastActive() - quietest.lastActive() < 0)) {
                quietest = c;
            }
        }
        if (quietest == null) {
            return false;
        }
        limitLog.log(System.Logger.Level.WARNING, () -> "API connection " + why + ": closing the connection quiet longest"
                + " to take a new one (a client may be holding idle connections)");
        try {
            quietest.evict();
        } catch (IOException e) {
            // Its socket is closed either way.
        }
        return true;
    }

    /** Every open connection is busy: Firecracker's answer, best effort (the socket is new, its buffer empty). */
    private void refuse(SocketChannel channel) {
        limitLog.log(System.Logger.Level.WARNING, () -> "API connection limit (" + maxConnections + ") reached with a request"
                + " in progress on every connection: answering 503 to new ones");
        try {
            channel.configureBlocking(false);
            channel.write(ByteBuffer.wrap(SERVER_FULL));
        } catch (IOException e) {
            // The client is gone already.
        }
        closeQuietly(channel);
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Already failing.
        }
    }

}
