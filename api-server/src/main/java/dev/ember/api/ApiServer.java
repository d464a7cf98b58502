package dev.ember.api;

import io.undertow.UndertowOptions;
import io.undertow.server.handlers.HttpContinueReadHandler;
import java.nio.file.Path;
import dev.ember.app.VmmController;
import org.xnio.OptionMap;

/**
 * The Firecracker-compatible HTTP API on a Unix socket. HTTP I/O runs on the XNIO thread;
 * requests become {@link dev.ember.app.VmmCommand}s run one at a time, in arrival order, on the
 * controller's {@code ember-vmm-ctl} thread (Firecracker's VMM thread role), so configuration
 * changes never race each other.
 */
public final class ApiServer implements AutoCloseable {
    public static final int DEFAULT_MAX_PAYLOAD = 51200;
    /** Request line plus headers; Firecracker's clients send a few hundred bytes. */
    static final int MAX_HEADER_BYTES = 8192;
    static final int MAX_HEADERS = 64;

    private final UnixHttpServer http;

    private ApiServer(UnixHttpServer http) {
        this.http = http;
    }

    public static ApiServer start(Path socket, VmmController controller, int maxPayload) throws ApiServerException {
        return start(socket, controller, maxPayload, ApiLimits.DEFAULT);
    }

    public static ApiServer start(Path socket, VmmController controller, int maxPayload, ApiLimits limits) throws ApiServerException {
        ApiServer server = bind(socket, controller, maxPayload, limits);
        server.serve();
        return server;
    }

    /** Binds the socket without serving yet; see {@link UnixHttpServer#bind}. */
    public static ApiServer bind(Path socket, VmmController controller, int maxPayload) throws ApiServerException {
        return bind(socket, controller, maxPayload, ApiLimits.DEFAULT);
    }

    /** As {@link #bind(Path, VmmController, int)} with other connection bounds (tests use short ones). */
    public static ApiServer bind(Path socket, VmmController controller, int maxPayload, ApiLimits limits) throws ApiServerException {
        OptionMap options = OptionMap.builder()
                .set(UndertowOptions.ALWAYS_SET_DATE, false)
                .set(UndertowOptions.MAX_HEADER_SIZE, MAX_HEADER_BYTES)
                .set(UndertowOptions.MAX_HEADERS, MAX_HEADERS)
                .set(UndertowOptions.NO_REQUEST_TIMEOUT, limits.idleMillis())
                .set(UndertowOptions.REQUEST_PARSE_TIMEOUT, limits.headerMillis())
                .getMap();
        ApiHandler handler = new ApiHandler(Routes.table(), controller, maxPayload, limits.bodyMillis());
        // curl sends "Expect: 100-continue" for bodies over 1 KiB and waits for the 100 otherwise.
        HttpContinueReadHandler root = new HttpContinueReadHandler(handler);
        return new ApiServer(UnixHttpServer.bind(socket, root, options, limits.maxConnections()));
    }

    /** Starts answering requests. */
    public void serve() {
        http.serve();
    }

    /** Open API connections now. */
    int openConnections() {
        return http.openConnections();
    }

    public Path socketPath() {
        return http.path();
    }

    @Override
    public void close() {
        http.close();
    }
}
