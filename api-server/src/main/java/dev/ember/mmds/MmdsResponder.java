package dev.ember.mmds;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.config.MmdsVersion;
import dev.ember.config.StrictTree;
import dev.ember.devices.mmds.MmdsMetrics;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Firecracker's MMDS semantics for one parsed request: GET by JSON pointer in JSON or IMDS
 * text, {@code PUT /latest/api/token} for a V2 session token, the status codes and plain-text
 * error bodies Firecracker answers with. V1 serves GETs with or without a token (counting the
 * missing or invalid ones, as Firecracker does); V2 refuses them with 401.
 */
final class MmdsResponder {
    static final String TOKEN_PATH = "/latest/api/token";
    static final String[] TOKEN_HEADERS = {"X-metadata-token", "X-aws-ec2-metadata-token"};
    static final String[] TTL_HEADERS = {"X-metadata-token-ttl-seconds", "X-aws-ec2-metadata-token-ttl-seconds"};
    static final String FORWARDED_FOR = "X-Forwarded-For";

    /** Compact, keys sorted: what Firecracker's store (serde_json, sorted maps) prints. */

    private final MmdsVersion version;
    private final boolean imdsCompat;
    private final MmdsData data;
    private final MmdsTokens tokens;
    private final MmdsMetrics metrics;

    MmdsResponder(MmdsVersion version, boolean imdsCompat, MmdsData data, MmdsTokens tokens, MmdsMetrics metrics) {
        this.version = version;
        this.imdsCompat = imdsCompat;
        this.data = data;
        this.tokens = tokens;
        this.metrics = metrics;
    }

    GuestResponse respond(GuestRequest r) {
        if (r.path().isEmpty()) {
            return GuestResponse.text(400, "Invalid URI.");
        }
        return switch (r.method()) {
            case "GET" -> get(r);
            case "PUT" -> put(r);
            default -> GuestResponse.text(405, "Not allowed HTTP method.");
        };
    }

    private GuestResponse get(GuestRequest r) {
        String token = firstValue(r, TOKEN_HEADERS);
        if (token == null) {
            metrics.rxNoToken.inc();
            if (version == MmdsVersion.V2) {
                return GuestResponse.text(401, "No MMDS token provided. Use `X-metadata-token` or `X-aws-ec2-metadata-token`"
                        + " header to specify the session token.");
            }
        } else if (!tokens.valid(token)) {
            metrics.rxInvalidToken.inc();
            if (version == MmdsVersion.V2) {
                return GuestResponse.text(401, "MMDS token not valid.");
            }
        }
        boolean json = !imdsCompat && "application/json".equalsIgnoreCase(valueOrEmpty(r.value("Accept")));
        String pointer = sanitize(r.path());
        if (pointer.endsWith("/")) {
            pointer = pointer.substring(0, pointer.length() - 1);
        }
        String p = pointer;
        return data.read(root -> render(root, p, json, r.path()));
    }

    private static GuestResponse render(JsonNode root, String pointer, boolean json, String uri) {
        JsonNode node;
        try {
            node = root == null ? null : (pointer.isEmpty() ? root : root.at(JsonPointer.compile(pointer)));
        } catch (IllegalArgumentException e) {
            node = null;
        }
        if (root == null && pointer.isEmpty()) {
            node = com.fasterxml.jackson.databind.node.NullNode.instance;
        }
        if (node == null || node.isMissingNode()) {
            return GuestResponse.text(404, "Resource not found: " + uri + ".");
        }
        if (json) {
            return new GuestResponse(200, GuestResponse.JSON, StrictTree.writeSorted(node), null, null);
        }
        if (node.isObject()) {
            List<String> keys = new ArrayList<>();
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                keys.add(node.get(k).isObject() ? k + "/" : k);
            }
            keys.sort(null);
            return GuestResponse.text(200, String.join("\n", keys));
        }
        if (node.isTextual()) {
            return GuestResponse.text(200, node.textValue());
        }
        return GuestResponse.text(501, "Cannot retrieve value. The value has an unsupported type.");
    }

    private GuestResponse put(GuestRequest r) {
        String[] forwarded = r.header(FORWARDED_FOR);
        if (forwarded != null) {
            return GuestResponse.text(400, "Invalid header. Reason: Unsupported header name. Key: " + forwarded[0]);
        }
        if (!sanitize(r.path()).equals(TOKEN_PATH)) {
            return GuestResponse.text(404, "Resource not found: " + r.path() + ".");
        }
        String[] ttl = null;
        for (String name : TTL_HEADERS) {
            ttl = r.header(name);
            if (ttl != null) {
                break;
            }
        }
        if (ttl == null) {
            return GuestResponse.text(400, "Token time to live value not found. Use `X-metadata-token-ttl-seconds` or"
                    + " `X-aws-ec2-metadata-token-ttl-seconds` header to specify the token's lifetime.");
        }
        long seconds = parseU32(ttl[1]);
        if (seconds < 0) {
            return GuestResponse.text(400, "Invalid header. Reason: Invalid value. Key:" + ttl[0] + "; Value:" + ttl[1]);
        }
        if (seconds < MmdsTokens.MIN_TTL_SECONDS || seconds > MmdsTokens.MAX_TTL_SECONDS) {
            return GuestResponse.text(400, "Invalid time to live value provided for token: " + seconds
                    + ". Please provide a value between " + MmdsTokens.MIN_TTL_SECONDS + " and " + MmdsTokens.MAX_TTL_SECONDS + ".");
        }
        return GuestResponse.text(200, tokens.issue((int) seconds)).with(ttl[0], Long.toString(seconds));
    }

    private static String firstValue(GuestRequest r, String[] names) {
        for (String n : names) {
            String v = r.value(n);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    private static String valueOrEmpty(String v) {
        return v == null ? "" : v.trim();
    }

    /** An unsigned 32-bit decimal, or -1. */
    private static long parseU32(String s) {
        long v = GuestRequest.decimal(s, 10);
        return v > 0xFFFF_FFFFL ? -1 : v;
    }

    /** Repeated slashes collapse, as Firecracker makes the path a strict JSON pointer. */
    static String sanitize(String path) {
        StringBuilder sb = new StringBuilder(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c != '/' || sb.length() == 0 || sb.charAt(sb.length() - 1) != '/') {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
