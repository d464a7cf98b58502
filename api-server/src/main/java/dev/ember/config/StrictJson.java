package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.util.List;

/**
 * The one JSON mapper for configuration bodies, shared by the config file and the API, and the
 * translation of Jackson's errors into messages that name the field and what it accepts.
 *
 * <p>Strict like Firecracker's serde setup: unknown fields are rejected where they are met
 * ({@link UnknownFieldsAsMet}), no value is coerced into another type ({@code "1"} is not an
 * integer, {@code 1} is not a string or a boolean, {@code 1.5} is not an integer), an integer
 * out of its field's Rust type is refused ({@link RustInteger}), duplicate keys and trailing
 * content are errors.
 */
public final class StrictJson {
    public static final ObjectMapper MAPPER = create();

    private StrictJson() {}

    private static ObjectMapper create() {
        ObjectMapper m = JsonMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .serializationInclusion(JsonInclude.Include.NON_NULL)
                .enable(DeserializationFeature.FAIL_ON_IGNORED_PROPERTIES)
                .addModule(new com.fasterxml.jackson.databind.module.SimpleModule("serde-order")
                        .addDeserializer(Long.class, new RustInteger.Reader())
                        .setDeserializerModifier(new UnknownFieldsAsMet()))
                .build();
        for (LogicalType type : new LogicalType[] {LogicalType.Textual, LogicalType.Boolean,
                LogicalType.Integer, LogicalType.Float, LogicalType.Enum, LogicalType.POJO,
                LogicalType.Collection, LogicalType.Map}) {
            var config = m.coercionConfigFor(type);
            for (CoercionInputShape shape : CoercionInputShape.values()) {
                config.setCoercion(shape, CoercionAction.Fail);
            }
        }
        return m;
    }

    /**
     * Parses {@code json} as {@code type}; {@code where} names the section for messages
     * (e.g. {@code "machine-config"}). Every failure is a {@link ConfigException}.
     */
    public static <T> T parse(byte[] json, Class<T> type, String where) throws ConfigException {
        JsonErrors.requireValidUnicode(json, where);
        return bind(where, json, () -> MAPPER.readValue(json, type));
    }

    /** Converts an already parsed tree (a config-file section) into {@code type}. */
    public static <T> T convert(JsonNode node, Class<T> type, String where) throws ConfigException {
        return bind(where, null, () -> MAPPER.treeToValue(node, type));
    }

    private interface Binding<T> {
        T bind() throws IOException, ConfigException;
    }

    /**
     * Runs a Jackson binding; every failure (and a null) becomes a ConfigException naming
     * {@code where}, positioned in {@code json} (null for a tree) as serde would.
     */
    private static <T> T bind(String where, byte[] json, Binding<T> binding) throws ConfigException {
        try {
            T value = binding.bind();
            if (value == null) {
                throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, where + ": expected a JSON object, got null");
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, JsonErrors.describe(e, where, json));
        } catch (IOException e) {
            throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, where + ": cannot read the JSON body: " + e.getMessage());
        } catch (NumberFormatException | ArithmeticException e) {
            throw StrictTree.numberOutOfRange(where);
        }
    }

    /** Parses any JSON value (MMDS contents, whole config files). */
    public static JsonNode tree(byte[] json, String where) throws ConfigException {
        JsonErrors.requireValidUnicode(json, where);
        return bind(where, json, () -> {
            JsonNode node = MAPPER.readTree(json);
            if (node == null || node.isMissingNode()) {
                throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, json.length == 0 ? where + ": the body is empty; send a JSON value" : JsonErrors.noValue(json, where));
            }
            StrictTree.requireDoubleRange(node, where);
            return node;
        });
    }

    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            // Only our own records are serialised; failing here is a programming error.
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

    /** The JSON spellings of an enum's constants ({@code @JsonProperty} names where given). */
    public static List<String> enumNames(Class<?> type) {
        return JsonErrors.enumNames(type);
    }
}
