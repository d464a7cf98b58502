package dev.ember.api;

import dev.ember.app.EmberVersion;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ember.config.StrictJson;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Locale;

/**
 * Generates the OpenAPI 3 document for GET /openapi from the route table and the record types
 * of the configuration model (field names from their {@code @JsonProperty}), so the document
 * describes exactly what the server parses.
 */
final class OpenApi {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private OpenApi() {}

    static ObjectNode document(List<Route> routes) {
        ObjectNode doc = F.objectNode();
        doc.put("openapi", "3.0.3");
        ObjectNode info = doc.putObject("info");
        info.put("title", "Ember API");
        info.put("description", "Firecracker-compatible microVM API, served over a Unix domain socket.");
        info.put("version", EmberVersion.VERSION);
        ObjectNode paths = doc.putObject("paths");
        ObjectNode schemas = F.objectNode();
        schemas.set("Error", errorSchema());
        for (Route r : routes) {
            ObjectNode item = paths.has(r.path()) ? (ObjectNode) paths.get(r.path()) : paths.putObject(r.path());
            ObjectNode op = item.putObject(r.method().toLowerCase(Locale.ROOT));
            op.put("summary", r.summary());
            op.put("operationId", r.method().toLowerCase(Locale.ROOT) + "_" + r.metric());
            op.put("x-ember-phase", r.phase().name());
            ArrayNode params = F.arrayNode();
            for (String part : r.path().split("/")) {
                if (part.startsWith("{")) {
                    ObjectNode p = params.addObject();
                    p.put("name", part.substring(1, part.length() - 1));
                    p.put("in", "path");
                    p.put("required", true);
                    p.putObject("schema").put("type", "string");
                }
            }
            if (!params.isEmpty()) {
                op.set("parameters", params);
            }
            if (r.requestType() != null) {
                ObjectNode body = op.putObject("requestBody");
                body.put("required", true);
                body.putObject("content").putObject("application/json").set("schema", schema(r.requestType(), schemas));
            }
            ObjectNode responses = op.putObject("responses");
            if (r.responseType() == null) {
                responses.putObject("204").put("description", "Done.");
            } else if (r.responseType() == String.class) {
                ObjectNode ok = responses.putObject("200");
                ok.put("description", "OK");
                ok.putObject("content").putObject("text/plain").putObject("schema").put("type", "string");
            } else {
                ObjectNode ok = responses.putObject("200");
                ok.put("description", "OK");
                ok.putObject("content").putObject("application/json").set("schema", schema(r.responseType(), schemas));
            }
            ObjectNode bad = responses.putObject("400");
            bad.put("description", "Bad input or wrong state; fault_message says which field and what to do.");
            bad.putObject("content").putObject("application/json").putObject("schema").put("$ref", "#/components/schemas/Error");
        }
        doc.putObject("components").set("schemas", schemas);
        return doc;
    }

    private static ObjectNode errorSchema() {
        ObjectNode s = F.objectNode();
        s.put("type", "object");
        s.putObject("properties").putObject("fault_message").put("type", "string");
        return s;
    }

    /** The schema of {@code type}; records become components referenced by name. */
    static ObjectNode schema(Type type, ObjectNode schemas) {
        ObjectNode s = F.objectNode();
        if (type instanceof ParameterizedType pt && pt.getRawType() == List.class) {
            s.put("type", "array");
            s.set("items", schema(pt.getActualTypeArguments()[0], schemas));
            return s;
        }
        Class<?> c = (Class<?>) type;
        if (c == String.class) {
            s.put("type", "string");
        } else if (c == Long.class || c == long.class) {
            s.put("type", "integer");
            s.put("format", "int64");
        } else if (c == Integer.class || c == int.class) {
            s.put("type", "integer");
        } else if (c == Boolean.class || c == boolean.class) {
            s.put("type", "boolean");
        } else if (c.isEnum()) {
            s.put("type", "string");
            ArrayNode values = s.putArray("enum");
            StrictJson.enumNames(c).forEach(values::add);
        } else if (JsonNode.class.isAssignableFrom(c)) {
            s.put("description", "Any JSON value.");
        } else if (c.isRecord()) {
            String name = c.getSimpleName();
            if (!schemas.has(name)) {
                ObjectNode def = schemas.putObject(name); // placeholder first: records may nest
                def.put("type", "object");
                def.put("additionalProperties", false);
                ObjectNode props = def.putObject("properties");
                for (RecordComponent rc : c.getRecordComponents()) {
                    JsonProperty jp = rc.getAccessor().getAnnotation(JsonProperty.class); // the annotation does not target record components
                    String field = jp != null && !jp.value().isEmpty() ? jp.value() : rc.getName();
                    props.set(field, schema(rc.getGenericType(), schemas));
                }
            }
            s.put("$ref", "#/components/schemas/" + name);
        } else {
            throw new IllegalStateException("no OpenAPI mapping for " + c.getName());
        }
        return s;
    }
}
