package dev.ember.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.app.VmmCommand;
import dev.ember.config.ConfigException;
import dev.ember.config.StrictJson;
import dev.ember.config.StrictTree;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One API endpoint, as data: method, path template ({@code /drives/{drive_id}}), body and
 * response types (which also generate the OpenAPI document), the metric name counted under
 * {@code <method>_api_requests}, and the {@link VmmCommand} it becomes. When the route may run
 * is the command's ({@link VmmCommand#phaseOf}). The one route that is no command,
 * {@code GET /openapi}, answers from the route table itself ({@link #local}).
 */
public record Route(String method, String path, Class<?> requestType, Class<?> responseType, String metric, String summary,
        Class<? extends VmmCommand> command, Binder binder, Supplier<ApiResponse> local, boolean bodyOptional) {

    /** Builds the command from a matched request; throws when the body or the path is wrong. */
    @FunctionalInterface
    public interface Binder {
        VmmCommand bind(Call call) throws ConfigException, ApiError;
    }

    /** A body-carrying route's command from its parsed body (and the path, for ids). */
    @FunctionalInterface
    public interface BodyBinder<B, C extends VmmCommand> {
        C bind(B body, Call call) throws ApiError;
    }

    /** A route without a body: {@code GET path} → {@code command}. */
    static <C extends VmmCommand> Route get(String path, Class<?> responseType, String metric, String summary,
            Class<C> command, Supplier<C> make) {
        return new Route("GET", path, null, responseType, metric, summary, command, call -> make.get(), null, false);
    }

    /** A route whose body, parsed strictly as {@code body}, becomes {@code command}. */
    static <B, C extends VmmCommand> Route withBody(String method, String path, Class<B> body, String metric, String summary,
            Class<C> command, BodyBinder<B, C> bind) {
        return new Route(method, path, body, null, metric, summary, command, call -> bind.bind(call.body(body), call), null, false);
    }

    /** Reads a body the way {@link StrictJson#parse} would, without databind (e.g. {@code SnapshotLoadParams::read}). */
    @FunctionalInterface
    public interface BodyReader<B> {
        B read(byte[] json, String where) throws ConfigException;
    }

    /**
     * A route whose body {@code read} binds (a body on a path where databind's first-use cost
     * would count), then becomes {@code command}.
     */
    static <B, C extends VmmCommand> Route withBody(String method, String path, Class<B> body, BodyReader<B> read,
            String metric, String summary, Class<C> command, BodyBinder<B, C> bind) {
        return new Route(method, path, body, null, metric, summary, command,
                call -> bind.bind(read.read(call.body(), call.resource()), call), null, false);
    }

    /**
     * A route whose body may be left out: an empty body means {@code absent}, anything else is
     * parsed strictly as {@code body} (Firecracker's PATCH /balloon/hinting/start and /stop).
     */
    static <B, C extends VmmCommand> Route withOptionalBody(String method, String path, Class<B> body, String metric,
            String summary, Class<C> command, Supplier<B> absent, BodyBinder<B, C> bind) {
        return new Route(method, path, body, null, metric, summary, command,
                call -> bind.bind(call.body().length == 0 ? absent.get() : call.body(body), call), null, true);
    }

    /** A route the HTTP layer answers itself (it describes the API, not the VMM). */
    static Route local(String path, Class<?> responseType, String metric, String summary, Supplier<ApiResponse> answer) {
        return new Route("GET", path, null, responseType, metric, summary, null, null, answer, false);
    }

    /** When the route may run relative to InstanceStart. */
    public VmmCommand.Phase phase() {
        return command == null ? VmmCommand.Phase.ANY : VmmCommand.phaseOf(command);
    }

    /** A matched request: path parameters and the raw body. */
    public record Call(Map<String, String> pathParams, byte[] body, String resource) {
        /** Parses the body strictly as {@code type} (any JSON for {@link JsonNode}); errors name {@code resource} and the field. */
        @SuppressWarnings("unchecked")
        public <T> T body(Class<T> type) throws ConfigException {
            if (type == JsonNode.class) {
                return (T) StrictTree.read(body, resource);
            }
            return StrictJson.parse(body, type, resource);
        }

        public String param(String name) {
            return pathParams.get(name);
        }
    }

    /**
     * Whether {@code requestPath} is this template with its last segment, an id, left out
     * ({@code /drives} or {@code /drives/} for {@code /drives/{drive_id}}): Firecracker
     * answers that as an empty id, not as an unknown path.
     */
    boolean matchesWithoutId(String requestPath) {
        int slash = path.lastIndexOf('/');
        return path.endsWith("}") && path.charAt(slash + 1) == '{' && path.substring(0, slash).equals(requestPath);
    }

    /** Matches {@code requestPath} against the template; returns the parameters or null. */
    Map<String, String> match(String requestPath) {
        String[] want = path.split("/", -1);
        String[] got = requestPath.split("/", -1);
        if (want.length != got.length) {
            return null;
        }
        Map<String, String> params = new java.util.LinkedHashMap<>();
        for (int i = 0; i < want.length; i++) {
            if (want[i].startsWith("{") && want[i].endsWith("}")) {
                params.put(want[i].substring(1, want[i].length() - 1), got[i]);
            } else if (!want[i].equals(got[i])) {
                return null;
            }
        }
        return params;
    }

    /** The resource name used in error messages, e.g. {@code machine-config}. */
    String resource() {
        String p = path.substring(1);
        int slash = p.indexOf('/');
        return p.isEmpty() ? "/" : (slash < 0 ? p : p.substring(0, slash));
    }
}
