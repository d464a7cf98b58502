package dev.ember.api;

import dev.ember.concurrent.Uninterruptibly;
import dev.ember.log.Log;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.protocol.http.HttpOpenListener;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import org.xnio.OptionMap;
import org.xnio.XnioWorker;
import dev.ember.seccomp.SeccompFilterException;
import dev.ember.seccomp.ThreadFilters;

/**
 * Undertow's HTTP/1.1 server on an AF_UNIX socket. XNIO has no Unix-socket acceptor, so a
 * Java {@link ServerSocketChannel} accepts and each connection is wrapped as an XNIO
 * {@code StreamConnection} and given to Undertow's {@link HttpOpenListener}; all HTTP parsing
 * and writing is Undertow's. Undertow runs on an {@link ApiWorker}, which registers no MBeans.
 *
 * <p>Socket file: a path where a server still listens is refused; a stale socket file (nobody
 * listening) is replaced; anything else at the path is refused. Ours is removed on close.
 */
public final class UnixHttpServer implements AutoCloseable {
    private static final System.Logger LOG = Log.logger(UnixHttpServer.class);
    /** S_IFMT / S_IFSOCK from sys/stat.h: the "unix:mode" attribute carries the file type. */
    private static final int S_IFMT = 0170000, S_IFSOCK = 0140000;
    /** Connections waiting to be accepted: bursts of connects queue here instead of failing with EAGAIN. */
    static final int LISTEN_BACKLOG = 1024;
    private static final dev.ember.log.RateLimitedLog DROP_LOG = new dev.ember.log.RateLimitedLog(LOG, 1, 10_000);

    private final Path path;
    private final ServerSocketChannel server;
    private final XnioWorker worker;
    private final UnixPoller poller;
    /** {@link #serve()} handed the poller to the I/O thread, which then closes its selector when it stops. */
    private volatile boolean serving;
    private final Object fileKey;
    private final HttpOpenListener listener;
    private volatile boolean closed;
    /**
     * The I/O thread took the api filter (or failed to: {@link #ioThreadFilterFailure}). A latch,
     * not a CompletableFuture: waiting on one sets up ForkJoinPool on main before the API serves.
     */
    private final CountDownLatch ioThreadFiltered = new CountDownLatch(1);
    private volatile RuntimeException ioThreadFilterFailure;

    private UnixHttpServer(Path path, ServerSocketChannel server, XnioWorker worker, HttpOpenListener listener, int maxConnections)
            throws IOException {
        this.path = path;
        this.server = server;
        this.worker = worker;
        this.listener = listener;
        this.fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        this.poller = new UnixPoller(server, channel -> accept(channel, listener), maxConnections);
    }

    /** Binds {@code path} and starts serving {@code handler}. */
    public static UnixHttpServer start(Path path, HttpHandler handler, OptionMap undertowOptions) throws ApiServerException {
        UnixHttpServer server = bind(path, handler, undertowOptions, ApiLimits.DEFAULT.maxConnections());
        server.serve();
        return server;
    }

    /**
     * Binds {@code path} and prepares the threads, without accepting yet: connections wait in
     * the listen backlog until {@link #serve()} (the CLI installs seccomp in between).
     */
    public static UnixHttpServer bind(Path path, HttpHandler handler, OptionMap undertowOptions, int maxConnections)
            throws ApiServerException {
        clearStaleSocket(path);
        ServerSocketChannel server = null;
        XnioWorker worker = null;
        try {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path), LISTEN_BACKLOG);
        } catch (IOException e) {
            closeQuietly(server);
            throw new ApiServerException("cannot create the API socket at " + path + ": " + e.getMessage()
                    + "; check that the directory exists and is writable", e);
        }
        try {
            worker = ApiWorker.start("ember-api-io");
            HttpOpenListener listener = new HttpOpenListener(new DefaultByteBufferPool(false, 16 * 1024), undertowOptions);
            listener.setRootHandler(handler);
            return new UnixHttpServer(path, server, worker, listener, maxConnections);
        } catch (IOException | RuntimeException e) {
            closeQuietly(server);
            if (worker != null) {
                worker.shutdownNow();
            }
            deleteQuietly(path);
            throw new ApiServerException("cannot start the API server on " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts accepting and serving connections. The one HTTP thread (XNIO's I/O thread, which
     * also selects on the socket) first takes the seccomp {@code api} filter, if one is
     * installed; this returns when it has, and throws when it could not (nothing is served then).
     */
    public void serve() {
        initialiseBeforeTheApiFilter();
        ApiIoThread io = (ApiIoThread) worker.getIoThread();
        io.execute(() -> {
            if (enterApiFilter()) {
                io.attach(poller);
                serving = true;
            }
        });
        awaitFiltered();
        LOG.log(System.Logger.Level.INFO, "API server listening on " + path);
    }

    /**
     * Classes whose static initialiser opens a file for writing, which the api filter forbids on
     * the HTTP threads (read-only opens only): XNIO's Channels and Conduits each open /dev/null
     * read-write, to drain unread bytes into it, the first time a request body must be skipped
     * (a GET with a body, a refused request). Left to the I/O thread, that open killed the process
     * with SIGSYS. Initialised here, on the thread that starts the server, under the vmm filter.
     */
    private static final String[] OPEN_FILES_WHEN_INITIALISED = {"org.xnio.channels.Channels", "org.xnio.conduits.Conduits"};

    private static void initialiseBeforeTheApiFilter() {
        for (String name : OPEN_FILES_WHEN_INITIALISED) {
            try {
                Class.forName(name, true, UnixHttpServer.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("the build is broken: " + name + " is missing from the class path", e);
            } catch (LinkageError e) {
                // No usable /dev/null (a chroot without it): the API still serves; a request whose
                // body must be skipped then ends its connection instead of being drained.
                LOG.log(System.Logger.Level.WARNING, "cannot open /dev/null for the HTTP server (" + e.getCause()
                        + "): requests whose body is not read will close their connection");
            }
        }
    }

    private boolean enterApiFilter() {
        try {
            ThreadFilters.enter(ThreadFilters.Category.API);
            return true;
        } catch (RuntimeException e) {
            ioThreadFilterFailure = e;
            return false;
        } finally {
            ioThreadFiltered.countDown();
        }
    }

    private void awaitFiltered() {
        Uninterruptibly.await(ioThreadFiltered);
        RuntimeException e = ioThreadFilterFailure;
        if (e != null) {
            throw e instanceof SeccompFilterException f ? f
                    : new SeccompFilterException("installing the seccomp api filter: " + e.getMessage(), e);
        }
    }

    /** On the I/O thread, as the poller accepts: the connection is registered, then handed to Undertow by a task of its own. */
    private void accept(SocketChannel channel, HttpOpenListener listener) {
        var ioThread = worker.getIoThread();
        UnixStreamConnection connection;
        try {
            connection = new UnixStreamConnection(ioThread, channel, poller);
        } catch (IOException | java.nio.channels.ClosedSelectorException e) {
            DROP_LOG.log(System.Logger.Level.WARNING, () -> "dropping API connection: " + e.getMessage());
            closeQuietly(channel);
            return;
        }
        ioThread.execute(() -> {
            // Evicted before its turn (a burst of idle connections replaces the quietest ones
            // faster than the I/O thread sets them up): setting up HTTP for a closed socket
            // would only delay the connections behind it, a real client's among them.
            if (closed || !channel.isOpen()) {
                org.xnio.IoUtils.safeClose(connection);
                return;
            }
            try {
                listener.handleEvent(connection);
            } catch (RuntimeException e) {
                DROP_LOG.log(System.Logger.Level.WARNING, () -> "dropping API connection: " + e);
                org.xnio.IoUtils.safeClose(connection);
            }
        });
    }

    /** Refuses a live socket, removes a stale one. */
    static void clearStaleSocket(Path path) throws ApiServerException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int mode;
        try {
            mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException e) {
            throw new ApiServerException(path + " exists and cannot be inspected: " + e.getMessage());
        }
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new ApiServerException(path + " exists and is not a socket; remove it or choose another --api-sock path");
        }
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            Objects.requireNonNull(probe);
            throw new ApiServerException("another process is already listening on " + path
                    + "; stop it or choose another --api-sock path");
        } catch (ConnectException e) {
            LOG.log(System.Logger.Level.INFO, "removing stale API socket " + path);
            try {
                Files.delete(path);
            } catch (IOException d) {
                throw new ApiServerException("cannot remove the stale socket " + path + ": " + d.getMessage());
            }
        } catch (IOException e) {
            throw new ApiServerException("cannot probe the existing socket " + path + ": " + e.getMessage());
        }
    }

    public Path path() {
        return path;
    }

    /** Connections open now (for tests and diagnostics). */
    int openConnections() {
        return poller.openConnections();
    }

    /** Stops accepting, closes connections and removes the socket file if it is still ours. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        poller.stop();
        closeQuietly(server);
        try {
            if (!serving || ((ApiIoThread) worker.getIoThread()).isCurrent()) {
                poller.closeSelector();
            } else {
                poller.awaitSelectorClosed(2000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        listener.closeConnections();
        worker.shutdown();
        try {
            if (!worker.awaitTermination(2, java.util.concurrent.TimeUnit.SECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
        try {
            BasicFileAttributes now = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (Objects.equals(now.fileKey(), fileKey)) {
                Files.delete(path);
            }
        } catch (IOException e) {
            // Already gone or replaced by someone else: leave it.
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // Best effort on error paths.
            }
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // Best effort on error paths.
        }
    }

}
