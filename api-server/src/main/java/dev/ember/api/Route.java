package dev.ember.api;

import dev.ember.app.VmmException;
import dev.ember.config.ConfigException;
import dev.ember.config.StrictJson;
import java.util.Map;

/**
 * One API endpoint: method, path template ({@code /drives/{drive_id}}), when it is allowed,
 * its body and response types (which also generate the OpenAPI document), the metric name
 * counted under {@code <method>_api_requests}, and the action run on the controller thread.
 */
public record Route(String method, String path, Phase phase, Class<?> requestType, Class<?> responseType,
        String metric, String summary, Action action) {

    /** When a route may run relative to InstanceStart. */
    public enum Phase { ANY, PRE_BOOT, POST_BOOT }

    @FunctionalInterface
    public interface Action {
        ApiResponse run(Call call) throws ConfigException, VmmException, ApiError;
    }

    /** A matched request: path parameters and the raw body. */
    public record Call(Map<String, String> pathParams, byte[] body, String resource) {
        /** Parses the body strictly as {@code type}; errors name {@code resource} and the field. */
        public <T> T body(Class<T> type) throws ConfigException {
            return StrictJson.parse(body, type, resource);
        }

        public String param(String name) {
            return pathParams.get(name);
        }
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
