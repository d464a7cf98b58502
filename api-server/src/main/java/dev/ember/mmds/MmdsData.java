package dev.ember.mmds;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.function.Function;

/** Read access to the metadata store: {@code reader} sees the contents (null before the first PUT) under the store's lock. */
@FunctionalInterface
public interface MmdsData {
    <T> T read(Function<JsonNode, T> reader);
}
