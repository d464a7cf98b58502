package dev.ember.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Function;

/**
 * The MMDS contents (Firecracker's data store): a JSON object the API puts and patches and the
 * guest's metadata requests read, no larger than the size limit once written out. Thread-safe:
 * the API's controller thread writes, the event loop reads.
 */
public final class MmdsDataStore {
    /** Null until the first PUT (GET answers {} then). */
    private JsonNode data;
    private int sizeLimit;

    MmdsDataStore(int sizeLimit) {
        this.sizeLimit = sizeLimit;
    }

    public synchronized void setSizeLimit(int limit) {
        sizeLimit = limit;
    }

    /** The contents, {@code {}} before the first PUT. */
    public synchronized JsonNode contents() {
        return data == null ? JsonNodeFactory.instance.objectNode() : data.deepCopy();
    }

    /**
     * Runs {@code reader} over the contents (null before the first PUT) under this object's lock,
     * without copying them: the guest's metadata requests read through this. The reader must not
     * keep or change the tree.
     */
    public synchronized <T> T read(Function<JsonNode, T> reader) {
        return reader.apply(data);
    }

    public synchronized void put(JsonNode contents) throws ConfigException {
        requireObject(contents);
        checkSize(contents);
        data = contents.deepCopy();
    }

    /** RFC 7396 JSON merge patch of the contents. */
    public synchronized void patch(JsonNode patch) throws ConfigException {
        requireObject(patch);
        if (data == null) {
            throw new ConfigException(ConfigException.Reason.NOT_FOUND, "The MMDS data store is not initialized. (PUT /mmds first)");
        }
        JsonNode merged = mergePatch(data.deepCopy(), patch);
        checkSize(merged);
        data = merged;
    }

    private static void requireObject(JsonNode contents) throws ConfigException {
        if (contents == null || !contents.isObject()) {
            throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, "The MMDS contents must be a JSON object, e.g. {\"latest\": {...}}");
        }
    }

    private void checkSize(JsonNode contents) throws ConfigException {
        int size = StrictTree.write(contents).length;
        if (size > sizeLimit) {
            throw new DataStoreLimitException(size, sizeLimit);
        }
    }

    private static JsonNode mergePatch(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch.deepCopy();
        }
        ObjectNode result = target != null && target.isObject() ? (ObjectNode) target : JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNull()) {
                result.remove(e.getKey());
            } else {
                result.set(e.getKey(), mergePatch(result.get(e.getKey()), e.getValue()));
            }
        }
        return result;
    }
}
