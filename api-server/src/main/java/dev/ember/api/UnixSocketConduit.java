package dev.ember.api;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.xnio.XnioIoThread;
import org.xnio.XnioWorker;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;
import org.xnio.conduits.Conduits;
import org.xnio.conduits.ReadReadyHandler;
import org.xnio.conduits.StreamSinkConduit;
import org.xnio.conduits.StreamSourceConduit;
import org.xnio.conduits.WriteReadyHandler;

/**
 * Both directions of one accepted AF_UNIX connection, as XNIO conduits so that Undertow's
 * HTTP/1.1 code can drive it (XNIO's own NIO conduits call {@code SocketChannel.socket()},
 * which AF_UNIX channels do not have).
 *
 * <p>Readiness: {@link UnixPoller} selects on the channel (on the I/O thread itself); a ready
 * key queues a dispatch task there, which calls Undertow's ready handlers for as long as the
 * direction stays resumed (XNIO's level-triggered contract). While a dispatch is queued the op
 * is taken out of the interest set so the next select does not report it again.
 */
final class UnixSocketConduit implements StreamSourceConduit, StreamSinkConduit {
    private final SocketChannel channel;
    private final XnioIoThread ioThread;
    private final UnixStreamConnection connection;
    private final UnixPoller poller;
    private SelectionKey key;

    // Guarded by this.
    private boolean readResumed;
    private boolean writeResumed;
    private boolean readPending;
    private boolean writePending;
    private boolean dispatchQueued;
    private boolean closed;
    private boolean lingering;

    /** The rest of a rewritten error response (see {@link BodilessErrors}); I/O thread only. */
    private ByteBuffer pendingOut;
    /** Lingering close: bytes read and dropped so far, and where they go; I/O thread only. */
    private long lingered;
    private ByteBuffer lingerScratch;

    /** For the connection limit: when bytes last moved, and whether a request is being served. */
    private volatile long lastActive = System.nanoTime();
    private volatile boolean requestInProgress;

    private volatile ReadReadyHandler readHandler;
    private volatile WriteReadyHandler writeHandler;
    private volatile boolean readShutdown;
    private volatile boolean writeShutdown;

    UnixSocketConduit(SocketChannel channel, XnioIoThread ioThread, UnixStreamConnection connection, UnixPoller poller) {
        this.channel = channel;
        this.ioThread = ioThread;
        this.connection = connection;
        this.poller = poller;
    }

    void register() throws ClosedChannelException {
        key = poller.register(channel, this);
    }

    SocketChannel channel() {
        return channel;
    }

    long lastActive() {
        return lastActive;
    }

    boolean requestInProgress() {
        return requestInProgress;
    }

    /** Set by the API handler from a request's head to its response: such a connection is never evicted. */
    void requestInProgress(boolean inProgress) {
        requestInProgress = inProgress;
        lastActive = System.nanoTime();
    }

    /** Closed by the poller to make room under the connection limit; any thread. */
    void evict() throws IOException {
        close();
    }

    // ---- readiness (selector -> queued dispatch, both on the I/O thread) ------------------------------------------

    /** Called by the poller with the key's ready ops. */
    void ready(int readyOps) {
        boolean queue;
        synchronized (this) {
            if ((readyOps & SelectionKey.OP_READ) != 0) {
                readPending = true;
            }
            if ((readyOps & SelectionKey.OP_WRITE) != 0) {
                writePending = true;
            }
            queue = !dispatchQueued;
            dispatchQueued = true;
            updateInterest();
        }
        if (queue) {
            ioThread.execute(this::dispatch);
        }
    }

    /** Runs on the I/O thread: calls the handlers of the directions that are ready and resumed. */
    private void dispatch() {
        boolean read;
        boolean write;
        boolean linger;
        synchronized (this) {
            linger = lingering;
            if (linger) {
                dispatchQueued = false;
                readPending = false;
                writePending = false;
            }
        }
        if (linger) {
            drainLingering();
            return;
        }
        synchronized (this) {
            dispatchQueued = false;
            read = readPending && readResumed;
            write = writePending && writeResumed;
            readPending = false;
            writePending = false;
        }
        WriteReadyHandler w = writeHandler;
        if (write && w != null) {
            w.writeReady();
        }
        ReadReadyHandler r = readHandler;
        if (read && r != null) {
            r.readReady();
        }
        synchronized (this) {
            updateInterest();
        }
    }

    private void queueDispatch(boolean read) {
        boolean queue;
        synchronized (this) {
            if (read) {
                readPending = true;
            } else {
                writePending = true;
            }
            queue = !dispatchQueued;
            dispatchQueued = true;
        }
        if (queue) {
            ioThread.execute(this::dispatch);
        }
    }

    /** Interest = resumed directions without a hand-off in flight. Caller holds the lock. */
    private void updateInterest() {
        if (closed || key == null || !key.isValid()) {
            return;
        }
        if (lingering) {
            int want = readPending ? 0 : SelectionKey.OP_READ;
            if (key.interestOps() != want) {
                key.interestOps(want);
                poller.wakeup();
            }
            return;
        }
        int ops = 0;
        if (readResumed && !readPending && !readShutdown) {
            ops |= SelectionKey.OP_READ;
        }
        if (writeResumed && !writePending && !writeShutdown) {
            ops |= SelectionKey.OP_WRITE;
        }
        if (key.interestOps() != ops) {
            key.interestOps(ops);
            poller.wakeup();
        }
    }

    // ---- lingering close ------------------------------------------------------------------

    /**
     * Ends a connection whose request was refused unread: stops writing (the client sees the
     * answer, then EOF), then reads and drops what the client still sends, and closes at the
     * client's EOF, after {@link #LINGER_MAX_BYTES} or after {@link #LINGER_MILLIS}. Closing at
     * once would make an AF_UNIX peer's next read fail with ECONNRESET while unread bytes sit in
     * our receive queue, and the client could lose the answer. Runs on the I/O thread.
     */
    void lingerAndClose() {
        synchronized (this) {
            if (closed || lingering) {
                return;
            }
            lingering = true;
            writeResumed = false;
        }
        try {
            flushPending();
            writeShutdown = true;
            channel.shutdownOutput();
        } catch (IOException e) {
            closeQuietly();
            return;
        }
        ioThread.executeAfter(this::closeQuietly, LINGER_MILLIS, TimeUnit.MILLISECONDS);
        drainLingering();
    }

    static final long LINGER_MILLIS = 2000;
    static final long LINGER_MAX_BYTES = 256 * 1024;

    private void drainLingering() {
        if (lingerScratch == null) {
            lingerScratch = ByteBuffer.allocate(4096);
        }
        try {
            while (true) {
                lingerScratch.clear();
                int n = channel.read(lingerScratch);
                if (n < 0 || (lingered += n) > LINGER_MAX_BYTES) {
                    closeQuietly();
                    return;
                }
                if (n == 0) {
                    break;
                }
            }
        } catch (IOException e) {
            closeQuietly();
            return;
        }
        synchronized (this) {
            updateInterest();
        }
    }

    private void closeQuietly() {
        try {
            connection.close();
        } catch (IOException ignored) {
            // Closing a connection we are done with: nothing left to report.
        }
    }

    // ---- close ------------------------------------------------------------------------

    /** Closes the socket and tells Undertow's handlers (on the I/O thread). */
    void close() throws IOException {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (key != null) {
                key.cancel();
            }
        }
        try {
            channel.close();
        } finally {
            poller.closed(this);
            poller.wakeup();
            ioThread.execute(() -> {
                ReadReadyHandler r = readHandler;
                if (r != null) {
                    r.terminated();
                }
                WriteReadyHandler w = writeHandler;
                if (w != null) {
                    w.terminated();
                }
            });
        }
    }

    // ---- source -----------------------------------------------------------------------

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return readShutdown ? -1 : (int) afterRead(channel.read(dst));
    }

    @Override
    public long read(ByteBuffer[] dsts, int offs, int len) throws IOException {
        return readShutdown ? -1 : afterRead(channel.read(dsts, offs, len));
    }

    /** A read of {@code n} bytes: data is activity (for the connection limit), EOF ends the read side. */
    private long afterRead(long n) throws IOException {
        if (n > 0) {
            lastActive = System.nanoTime();
        } else if (n == -1) {
            terminateReads();
        }
        return n;
    }

    @Override
    public long transferTo(long position, long count, FileChannel target) throws IOException {
        return target.transferFrom(channel, position, count);
    }

    @Override
    public long transferTo(long count, ByteBuffer throughBuffer, StreamSinkChannel target) throws IOException {
        return Conduits.transfer(this, count, throughBuffer, target);
    }

    @Override
    public void terminateReads() throws IOException {
        if (readShutdown) {
            return;
        }
        readShutdown = true;
        synchronized (this) {
            readResumed = false;
            updateInterest();
        }
        if (connection.markReadClosed() && channel.isOpen()) {
            try {
                channel.shutdownInput();
            } catch (ClosedChannelException ignored) {
                // Already closed by the peer's reset: nothing left to shut.
            }
        }
    }

    @Override
    public boolean isReadShutdown() {
        return readShutdown;
    }

    @Override
    public void resumeReads() {
        synchronized (this) {
            readResumed = true;
            updateInterest();
        }
    }

    @Override
    public void suspendReads() {
        synchronized (this) {
            readResumed = false;
            updateInterest();
        }
    }

    @Override
    public void wakeupReads() {
        synchronized (this) {
            readResumed = true;
        }
        queueDispatch(true);
    }

    @Override
    public synchronized boolean isReadResumed() {
        return readResumed;
    }

    @Override
    public void awaitReadable() throws IOException {
        await(SelectionKey.OP_READ, 0);
    }

    @Override
    public void awaitReadable(long time, TimeUnit timeUnit) throws IOException {
        await(SelectionKey.OP_READ, Math.max(1, timeUnit.toMillis(time)));
    }

    @Override
    public XnioIoThread getReadThread() {
        return ioThread;
    }

    @Override
    public void setReadReadyHandler(ReadReadyHandler handler) {
        readHandler = handler;
    }

    // ---- sink -------------------------------------------------------------------------

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (!flushPending()) {
            return 0;
        }
        return BodilessErrors.looksLikeError(src) ? (int) write(new ByteBuffer[] {src}, 0, 1) : channel.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offs, int len) throws IOException {
        if (!flushPending()) {
            return 0;
        }
        ByteBuffer replacement = BodilessErrors.rewrite(srcs, offs, len);
        if (replacement == null) {
            return channel.write(srcs, offs, len);
        }
        long consumed = 0;
        for (int i = offs; i < offs + len; i++) {
            consumed += srcs[i].remaining();
            srcs[i].position(srcs[i].limit());
        }
        pendingOut = replacement;
        flushPending();
        return consumed;
    }

    /** Writes what is left of a replaced error response; true when nothing is left. */
    private boolean flushPending() throws IOException {
        ByteBuffer p = pendingOut;
        if (p == null) {
            return true;
        }
        channel.write(p);
        if (p.hasRemaining()) {
            return false;
        }
        pendingOut = null;
        return true;
    }

    @Override
    public int writeFinal(ByteBuffer src) throws IOException {
        return Conduits.writeFinalBasic(this, src);
    }

    @Override
    public long writeFinal(ByteBuffer[] srcs, int offs, int len) throws IOException {
        return Conduits.writeFinalBasic(this, srcs, offs, len);
    }

    @Override
    public long transferFrom(FileChannel src, long position, long count) throws IOException {
        return src.transferTo(position, count, channel);
    }

    @Override
    public long transferFrom(StreamSourceChannel source, long count, ByteBuffer throughBuffer) throws IOException {
        return Conduits.transfer(source, count, throughBuffer, this);
    }

    @Override
    public boolean flush() throws IOException {
        return flushPending(); // otherwise writes go straight to the socket
    }

    @Override
    public void terminateWrites() throws IOException {
        if (writeShutdown) {
            return;
        }
        flushPending(); // a rewritten error response is a few hundred bytes: the socket takes it whole
        writeShutdown = true;
        synchronized (this) {
            writeResumed = false;
            updateInterest();
        }
        if (connection.markWriteClosed() && channel.isOpen()) {
            try {
                channel.shutdownOutput();
            } catch (ClosedChannelException ignored) {
                // The connection went away first.
            }
        }
    }

    @Override
    public void truncateWrites() throws IOException {
        terminateWrites();
    }

    @Override
    public boolean isWriteShutdown() {
        return writeShutdown;
    }

    @Override
    public void resumeWrites() {
        synchronized (this) {
            writeResumed = true;
            updateInterest();
        }
    }

    @Override
    public void suspendWrites() {
        synchronized (this) {
            writeResumed = false;
            updateInterest();
        }
    }

    @Override
    public void wakeupWrites() {
        synchronized (this) {
            writeResumed = true;
        }
        queueDispatch(false);
    }

    @Override
    public synchronized boolean isWriteResumed() {
        return writeResumed;
    }

    @Override
    public void awaitWritable() throws IOException {
        await(SelectionKey.OP_WRITE, 0);
    }

    @Override
    public void awaitWritable(long time, TimeUnit timeUnit) throws IOException {
        await(SelectionKey.OP_WRITE, Math.max(1, timeUnit.toMillis(time)));
    }

    @Override
    public XnioIoThread getWriteThread() {
        return ioThread;
    }

    @Override
    public void setWriteReadyHandler(WriteReadyHandler handler) {
        writeHandler = handler;
    }

    @Override
    public XnioWorker getWorker() {
        return ioThread.getWorker();
    }

    /** Blocking wait used by Undertow's blocking streams: a private selector on the same channel. */
    private void await(int op, long timeoutMillis) throws IOException {
        if (!channel.isOpen()) {
            return;
        }
        try (Selector selector = Selector.open()) {
            channel.register(selector, op);
            selector.select(timeoutMillis);
        }
    }
}
