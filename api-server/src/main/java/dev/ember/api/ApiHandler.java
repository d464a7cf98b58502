package dev.ember.api;

import dev.ember.app.VmmCommand;
import dev.ember.app.VmmController;
import dev.ember.app.VmmResult;
import dev.ember.config.ConfigException;
import dev.ember.log.Log;
import dev.ember.metrics.Counter;
import dev.ember.metrics.Metrics;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import dev.ember.logging.LogText;
import dev.ember.log.RateLimitedLog;
import io.undertow.io.IoCallback;
import io.undertow.io.Sender;
import io.undertow.server.protocol.http.HttpServerConnection;
import io.undertow.util.Methods;
import java.util.concurrent.TimeUnit;
import org.xnio.IoUtils;
import org.xnio.XnioExecutor;
import io.undertow.util.Headers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Undertow's root handler. On the I/O thread it only reads the body (bounded by the payload
 * limit); matching, parsing and the action run on the single controller thread, and the
 * response is sent from there when the action is done. {@code GET /} alone is answered on the
 * I/O thread: it reads only the instance id and the VM's state (immutable and volatile), so it
 * needs neither the controller's order nor the two thread hand-offs to it and back. Every failure becomes a JSON
 * {@code fault_message}; nothing the client sends produces a 500 or a stack trace.
 */
final class ApiHandler implements HttpHandler {
    private static final System.Logger LOG = Log.logger(ApiHandler.class);
    private static final Counter SYNC_RESPONSE_FAILS = Metrics.group("api_server").counter("sync_response_fails");

    private final List<Route> routes;
    private final VmmController controller;
    private final long maxPayload;
    /**
     * By identity: the routes are the table's own objects, and a record's hashCode and equals
     * (ten components, lambdas among them) go through method handles the JDK spins at first use
     * (six classes, which the AOT cache cannot hold) and then cost every request.
     */
    private final Map<Route, Counter[]> counters = new IdentityHashMap<>();
    /** {@code GET /}, answered on the I/O thread ({@link #instanceInfoHere}); null if not routed. */
    private final Route instanceInfo;

    /** From the first body byte awaited to the last: a client trickling its body is cut off after this. */
    private final long bodyMillis;

    ApiHandler(List<Route> routes, VmmController controller, long maxPayload, long bodyMillis) {
        this.bodyMillis = bodyMillis;
        this.routes = routes;
        this.controller = controller;
        this.maxPayload = maxPayload;
        for (Route r : routes) {
            var group = Metrics.group(r.method().toLowerCase(Locale.ROOT) + "_api_requests");
            counters.put(r, new Counter[] {group.counter(r.metric() + "_count"), group.counter(r.metric() + "_fails")});
        }
        Route root = null;
        for (Route r : routes) {
            if (r.method().equals("GET") && r.command() == VmmCommand.GetInstanceInfo.class && r.match("/") != null) {
                root = r;
            }
        }
        this.instanceInfo = root;
    }

    /** Every request is logged, as Firecracker does, but a flood of requests is not a flood of log lines. */
    private final RateLimitedLog requestLog = new RateLimitedLog(LOG, 500, 10);
    /**
     * GET /'s log line, made when the class is set up at start: as a lambda at its call, the AOT
     * cache did not hold it and the JDK spun its class on the I/O thread answering the first GET /.
     */
    private static final java.util.function.Supplier<String> GET_ROOT_RECEIVED = () -> "The API server received a GET request on \"/\".";
    private final RateLimitedLog faultLog = new RateLimitedLog(LOG, 500, 10);
    private final RateLimitedLog bodyLog = new RateLimitedLog(LOG, 1, 10_000);

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        UnixStreamConnection unix = unixConnection(exchange);
        if (unix != null) {
            // Protected from eviction under the connection limit until the response is out.
            unix.requestInProgress(true);
            exchange.addExchangeCompleteListener((ex, next) -> {
                unix.requestInProgress(false);
                next.proceed();
            });
        }
        RequestFraming.Declared declared;
        try {
            declared = RequestFraming.check(exchange.getRequestHeaders());
        } catch (ApiError e) {
            sendAndClose(exchange, fault(e.status(), e.getMessage()));
            return;
        }
        boolean hasBody = declared.chunked() || declared.contentLength() > 0;
        if (hasBody && Methods.GET.equals(exchange.getRequestMethod())) {
            // Firecracker's answer; the body is not read, so the connection cannot carry another request.
            sendAndClose(exchange, fault(400, "GET request cannot have a body."));
            return;
        }
        if (declared.contentLength() > maxPayload) {
            // Answered before the body arrives, as Firecracker does; the unread body ends the connection.
            sendAndClose(exchange, tooBig(declared.contentLength()));
            return;
        }
        if (!hasBody && instanceInfo != null && Methods.GET.equals(exchange.getRequestMethod()) && "/".equals(exchange.getRequestPath())) {
            send(exchange, instanceInfoHere());
            return;
        }
        controller.requestArrived(exchange.getRequestMethod().toString(), exchange.getRequestPath());
        if (!hasBody) {
            dispatch(exchange, new byte[0]);
            return;
        }
        // Chunked bodies have no declared size: keep at most maxPayload bytes and refuse the
        // request as soon as it grows past that.
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        long[] seen = {0};
        XnioExecutor.Key deadline = exchange.getIoThread().executeAfter(() -> bodyTooSlow(exchange, seen[0]),
                bodyMillis, TimeUnit.MILLISECONDS);
        exchange.getRequestReceiver().receivePartialBytes((ex, chunk, last) -> {
            seen[0] += chunk.length;
            if (seen[0] > maxPayload) {
                deadline.remove();
                ex.getRequestReceiver().pause();
                sendAndClose(ex, tooBig(-1));
                return;
            }
            body.write(chunk, 0, chunk.length);
            if (last) {
                deadline.remove();
                dispatch(ex, body.toByteArray());
            }
        }, (ex, error) -> {
            deadline.remove();
            readFailed(ex, error, seen[0], declared.contentLength());
        });
    }

    /** The body did not arrive in time: the connection is closed, its request never runs. */
    private void bodyTooSlow(HttpServerExchange exchange, long received) {
        bodyLog.log(System.Logger.Level.WARNING, () -> "API request body not received within " + bodyMillis + " ms ("
                + received + " bytes came): closing the connection");
        IoUtils.safeClose(exchange.getConnection());
    }

    private static UnixStreamConnection unixConnection(HttpServerExchange exchange) {
        return exchange.getConnection() instanceof HttpServerConnection http && http.getChannel() instanceof UnixStreamConnection unix
                ? unix : null;
    }

    private void dispatch(HttpServerExchange exchange, byte[] body) {
        exchange.dispatch(controller.executor(), () -> {
            ApiResponse response = process(exchange.getRequestMethod().toString(), exchange.getRequestPath(), body);
            if (deprecation != null) {
                exchange.getResponseHeaders().put(DEPRECATION, "true");
                deprecation = null;
            }
            String fatal = fatalReason;
            if (fatal == null) {
                send(exchange, response);
                return;
            }
            // Answer first, then end the process: the client learns why it is gone.
            fatalReason = null;
            Runnable exit = () -> controller.terminate(fatal);
            send(exchange, response, new IoCallback() {
                @Override
                public void onComplete(HttpServerExchange ex, Sender sender) {
                    IoCallback.END_EXCHANGE.onComplete(ex, sender);
                    exit.run();
                }

                @Override
                public void onException(HttpServerExchange ex, Sender sender, java.io.IOException e) {
                    IoCallback.END_EXCHANGE.onException(ex, sender, e);
                    exit.run();
                }
            });
        });
    }

    /** Set on the controller thread by a {@link VmmResult.Fault#FATAL} result, read there right after. */
    private String fatalReason;
    /** Set on the controller thread when the body did not deserialise (Firecracker's parser refused it), read there right after. */
    private boolean bodyRefused;
    /** Set on the controller thread when the request used a deprecated field, read there right after. */
    private String deprecation;
    private static final io.undertow.util.HttpString DEPRECATION = new io.undertow.util.HttpString("Deprecation");
    private static final Counter DEPRECATED_CALLS = Metrics.group("deprecated_api").counter("deprecated_http_api_calls");
    private final RateLimitedLog deprecationLog = new RateLimitedLog(LOG, 100, 1000);

    /**
     * The body could not be read to its end: the peer closed (or half-closed) early, or the
     * chunked encoding was broken. Never a success: Firecracker's clients would take an empty
     * 200 as "applied".
     */
    private void readFailed(HttpServerExchange exchange, java.io.IOException error, long received, long declared) {
        LOG.log(System.Logger.Level.DEBUG, "API request body could not be read: " + error);
        String detail = declared >= 0
                ? "the connection ended after " + received + " of the " + declared + " bytes that Content-Length announced"
                : "the chunked body ended or broke after " + received + " bytes";
        sendAndClose(exchange, fault(400, "Incomplete HTTP request body: " + detail + "; nothing was applied."));
    }

    private ApiResponse tooBig(long length) {
        return fault(400, "Request payload with size " + (length < 0 ? "over " + maxPayload : length)
                + " is larger than the limit of " + maxPayload + " allowed by server."
                + " (raise --http-api-max-payload-size or send less)");
    }

    /**
     * {@code GET /} on the I/O thread: logged and counted as {@link #process} does, and answered
     * by the controller from the instance id and the VM's volatile state (never refused, never
     * deprecated, never fatal, so none of the controller thread's fields are touched).
     */
    private ApiResponse instanceInfoHere() {
        requestLog.log(System.Logger.Level.INFO, GET_ROOT_RECEIVED);
        counters.get(instanceInfo)[0].inc();
        return respond(controller.handle(new VmmCommand.GetInstanceInfo()));
    }

    /** Runs on the controller thread. */
    ApiResponse process(String method, String rawPath, byte[] body) {
        String path = rawPath.length() > 1 && rawPath.endsWith("/") ? rawPath.substring(0, rawPath.length() - 1) : rawPath;
        boolean mmds = path.startsWith("/mmds");
        requestLog.log(System.Logger.Level.INFO, () -> "The API server received a " + method + " request on \""
                + LogText.escape(path) + "\".");
        if (body.length > 0 && !mmds && LOG.isLoggable(System.Logger.Level.DEBUG)) {
            LOG.log(System.Logger.Level.DEBUG, "Request body: " + LogText.escape(new String(body, StandardCharsets.UTF_8)));
        }
        Route route = null;
        Map<String, String> params = null;
        for (Route r : routes) {
            if (r.method().equals(method)) {
                params = r.match(path);
                if (params != null) {
                    route = r;
                    break;
                }
            }
        }
        if (route == null) {
            return unmatched(method, path, body);
        }
        Counter[] c = counters.get(route);
        c[0].inc();
        bodyRefused = false;
        ApiResponse response = run(route, params, method, body);
        // Firecracker deprecates in its parser: a body the parser refused carries no deprecation.
        deprecation = bodyRefused ? null : Deprecations.message(route, body);
        if (deprecation != null) {
            DEPRECATED_CALLS.inc();
            String line = deprecation;
            deprecationLog.log(System.Logger.Level.WARNING, () -> line);
        }
        if (response.status() >= 400) {
            c[1].inc();
        }
        return response;
    }

    /**
     * A request no route takes, answered as Firecracker's parser answers it: one that only lacks
     * the id as an empty id, counted on that route; else a GET with a body or a PUT or PATCH
     * without one as such, whatever the path; else an unknown path.
     */
    private ApiResponse unmatched(String method, String path, byte[] body) {
        for (Route r : routes) {
            if (r.method().equals(method) && r.matchesWithoutId(path)) {
                Counter[] c = counters.get(r);
                c[0].inc();
                c[1].inc();
                return fault(400, body.length == 0 ? emptyBody(method) : "The ID cannot be empty.");
            }
        }
        if ("GET".equals(method) && body.length > 0) {
            return fault(400, "GET request cannot have a body.");
        }
        if (("PUT".equals(method) || "PATCH".equals(method)) && body.length == 0) {
            return fault(400, emptyBody(method));
        }
        String subPath = unknownSubPath(method, path);
        if (subPath != null) {
            return fault(400, subPath);
        }
        return fault(400, "Invalid request method and/or path: " + method + " " + unknownResource(method, path) + ".");
    }

    /**
     * Firecracker's own texts for a resource it knows with a sub-path it does not (its parser
     * hands those to the resource's parser): GET under {@code /balloon/} and a PUT of
     * {@code /snapshot} without the operation; null for any other path.
     */
    static String unknownSubPath(String method, String path) {
        String[] s = segments(path);
        if ("GET".equals(method) && s.length >= 2 && "balloon".equals(s[0])) {
            if (!"hinting".equals(s[1])) {
                return "statistics".equals(s[1]) ? null : "Unrecognized GET request path `" + s[1] + "`.";
            }
            if (s.length == 2) {
                return "Unrecognized GET request path `/hinting/`.";
            }
            return "status".equals(s[2]) ? null : "Unrecognized GET request path `/hinting/" + s[2] + "`.";
        }
        if ("PUT".equals(method) && s.length == 1 && "snapshot".equals(s[0])) {
            return "Missing snapshot operation type.";
        }
        return null;
    }

    /** The path's non-empty segments, as Firecracker's parser splits it. */
    private static String[] segments(String path) {
        List<String> out = new ArrayList<>(4);
        int i = 0;
        while (i < path.length()) {
            int slash = path.indexOf('/', i);
            int end = slash < 0 ? path.length() : slash;
            if (end > i) {
                out.add(path.substring(i, end));
            }
            i = end + 1;
        }
        return out.toArray(new String[0]);
    }

    /**
     * How Firecracker names an unknown path: by its first segment without the slash ({@code PUT vm.}
     * for {@code PUT /vm}), except a PUT under {@code /snapshot/}, which it names whole.
     */
    static String unknownResource(String method, String path) {
        int start = 0;
        while (start < path.length() && path.charAt(start) == '/') {
            start++;
        }
        int slash = path.indexOf('/', start);
        String first = path.substring(start, slash < 0 ? path.length() : slash);
        return "PUT".equals(method) && "snapshot".equals(first) && slash >= 0 ? "/" + path.substring(start) : first;
    }

    private static String emptyBody(String method) {
        return "Empty " + method + " request. (send a JSON body)";
    }

    /** Firecracker's lead for a request body serde could not deserialise. */
    static final String DESERIALIZING = "An error occurred when deserializing the json body of a request: ";

    private ApiResponse run(Route route, Map<String, String> params, String method, byte[] body) {
        try {
            if ("GET".equals(method) && body.length > 0) {
                throw new ApiError(400, "GET request cannot have a body.");
            }
            if (!"GET".equals(method) && body.length == 0 && !route.bodyOptional()) {
                throw new ApiError(400, emptyBody(method));
            }
            ApiResponse response;
            if (route.local() != null) {
                response = route.local().get();
            } else {
                // The phase first: a late pre-boot request is refused whatever its body says.
                VmmResult refused = controller.refusedNow(route.command());
                VmmCommand command = refused == null ? route.binder().bind(new Route.Call(params, body, route.resource())) : null;
                response = respond(refused != null ? refused : controller.handle(command));
            }
            if (response.status() == 204) {
                requestLog.log(System.Logger.Level.INFO, () -> "The request was executed successfully. Status code: 204 No Content.");
            }
            return response;
        } catch (ConfigException e) {
            // Only the binder throws one (the controller answers with a result): a body that does
            // not deserialise is led as Firecracker leads serde's text, which its tests match.
            bodyRefused = e.reason() == ConfigException.Reason.MALFORMED_JSON;
            return fault(400, bodyRefused ? DESERIALIZING + e.getMessage() : e.getMessage());
        } catch (ApiError e) {
            return fault(e.status(), e.getMessage());
        } catch (RuntimeException e) {
            // A bug on our side: log it whole, tell the client without internals.
            LOG.log(System.Logger.Level.ERROR, "internal error handling " + method + " " + route.path(), e);
            return fault(500, "Internal error handling " + method + " " + route.path() + ": " + e.getClass().getSimpleName()
                    + "; see the Ember log");
        }
    }

    /** The one mapping of a command's result to HTTP. */
    private ApiResponse respond(VmmResult result) {
        if (result instanceof VmmResult.Done) {
            return ApiResponse.noContent();
        }
        if (result instanceof VmmResult.Body b) {
            return ApiResponse.ok(b.value());
        }
        if (result instanceof VmmResult.Text t) {
            return ApiResponse.text(t.text(), t.mediaType());
        }
        VmmResult.Failed failed = (VmmResult.Failed) result;
        switch (failed.fault()) {
            case TOO_LARGE -> {
                return fault(413, failed.message());
            }
            case FATAL -> {
                fatalReason = failed.message();
                return fault(400, failed.message());
            }
            default -> {
                return fault(400, failed.message());
            }
        }
    }

    private ApiResponse fault(int status, String message) {
        faultLog.log(System.Logger.Level.ERROR, () -> "Received Error. Status code: " + status + ". Message: "
                + LogText.escape(message));
        return ApiResponse.fault(status, message);
    }

    private static void send(HttpServerExchange exchange, ApiResponse response) {
        send(exchange, response, IoCallback.END_EXCHANGE);
    }

    /**
     * Answers and closes the connection once the answer is written, without reading what is
     * left of the request: after a framing error those bytes are not a request to trust.
     */
    private static void sendAndClose(HttpServerExchange exchange, ApiResponse response) {
        exchange.setPersistent(false);
        send(exchange, response, CLOSE_AFTER_RESPONSE);
    }

    private static void send(HttpServerExchange exchange, ApiResponse response, IoCallback then) {
        boolean close = then == CLOSE_AFTER_RESPONSE;
        try {
            exchange.setStatusCode(response.status());
            if (response.body() == null) {
                exchange.endExchange();
                return;
            }
            byte[] bytes = response.body() instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : ResponseJson.write(response.body());
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, response.contentType());
            exchange.getResponseSender().send(ByteBuffer.wrap(bytes), then);
        } catch (RuntimeException e) {
            SYNC_RESPONSE_FAILS.inc();
            LOG.log(System.Logger.Level.WARNING, "cannot send the API response: " + e);
            if (close) {
                IoUtils.safeClose(exchange.getConnection());
            }
            exchange.endExchange();
        }
    }

    /** Closes the connection as soon as the response is out: an unread request body is never drained. */
    private static final IoCallback CLOSE_AFTER_RESPONSE = new IoCallback() {
        @Override
        public void onComplete(HttpServerExchange exchange, Sender sender) {
            UnixStreamConnection unix = unixConnection(exchange);
            if (unix != null) {
                unix.lingerAndClose();
            } else {
                IoUtils.safeClose(exchange.getConnection());
            }
        }

        @Override
        public void onException(HttpServerExchange exchange, Sender sender, java.io.IOException exception) {
            IoUtils.safeClose(exchange.getConnection());
        }
    };

}
