package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The one JSON mapper for configuration bodies, shared by the config file and the API, and the
 * translation of Jackson's errors into messages that name the field and what it accepts.
 *
 * <p>Strict like Firecracker's serde setup: unknown fields are rejected, no value is coerced
 * into another type ({@code "1"} is not an integer, {@code 1} is not a string or a boolean,
 * {@code 1.5} is not an integer), duplicate keys and trailing content are errors.
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
        requireValidUnicode(json, where);
        return bind(where, () -> MAPPER.readValue(json, type));
    }

    /** Converts an already parsed tree (a config-file section) into {@code type}. */
    public static <T> T convert(JsonNode node, Class<T> type, String where) throws ConfigException {
        return bind(where, () -> MAPPER.treeToValue(node, type));
    }

    private interface Binding<T> {
        T bind() throws IOException, ConfigException;
    }

    /** Runs a Jackson binding; every failure (and a null) becomes a ConfigException naming {@code where}. */
    private static <T> T bind(String where, Binding<T> binding) throws ConfigException {
        try {
            T value = binding.bind();
            if (value == null) {
                throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, where + ": expected a JSON object, got null");
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, describe(e, where));
        } catch (IOException e) {
            throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, where + ": cannot read the JSON body: " + e.getMessage());
        } catch (NumberFormatException | ArithmeticException e) {
            throw numberOutOfRange(where, e);
        }
    }

    /** Parses any JSON value (MMDS contents, whole config files). */
    public static JsonNode tree(byte[] json, String where) throws ConfigException {
        requireValidUnicode(json, where);
        return bind(where, () -> {
            JsonNode node = MAPPER.readTree(json);
            if (node == null || node.isMissingNode()) {
                throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, where + ": the body is empty; send a JSON value");
            }
            requireDoubleRange(node, where);
            return node;
        });
    }

    private static final java.math.BigDecimal MAX_DOUBLE = new java.math.BigDecimal(Double.MAX_VALUE);

    /**
     * Fractional numbers are kept exactly (BigDecimal), so 1E+400 parses; Firecracker's parser
     * reads them as doubles and refuses one past the double range.
     */
    private static void requireDoubleRange(JsonNode node, String where) throws ConfigException {
        if (node.isBigDecimal()) {
            if (node.decimalValue().abs().compareTo(MAX_DOUBLE) > 0) {
                throw numberOutOfRange(where, null);
            }
            return;
        }
        for (JsonNode child : node) {
            requireDoubleRange(child, where);
        }
    }

    /** A number whose exponent does not fit (1E+9999999999): serde_json refuses it as out of range too. */
    private static ConfigException numberOutOfRange(String where, RuntimeException e) {
        return new ConfigException(ConfigException.Reason.MALFORMED_JSON, where + ": a number is out of range"
                + "; numbers must fit a 64-bit integer or a double");
    }

    /**
     * Refuses a backslash-u escape of a UTF-16 surrogate that is not half of a pair, as
     * Firecracker's JSON parser does: Jackson would accept it, and the string then cannot be
     * a file name nor be written back as UTF-8. Raw UTF-8 cannot encode a surrogate (the
     * parser refuses such bytes), so only escapes need checking.
     */
    static void requireValidUnicode(byte[] json, String where) throws ConfigException {
        boolean inString = false;
        int stringStart = 0;
        int lastStart = 0;
        int lastEnd = 0;
        int keyStart = 0; // the field the scan is in, for the message
        int keyEnd = 0;
        for (int i = 0; i < json.length; i++) {
            byte b = json[i];
            if (b == '"') {
                inString = !inString;
                if (inString) {
                    stringStart = i + 1;
                } else {
                    lastStart = stringStart;
                    lastEnd = i;
                }
            } else if (!inString && b == ':') {
                keyStart = lastStart;
                keyEnd = lastEnd;
            } else if (inString && b == '\\') {
                int unit = i + 5 < json.length && json[i + 1] == 'u' ? hex4(json, i + 2) : -1;
                if (unit >= 0xD800 && unit <= 0xDBFF) {
                    int next = i + 11 < json.length && json[i + 6] == '\\' && json[i + 7] == 'u' ? hex4(json, i + 8) : -1;
                    if (next < 0xDC00 || next > 0xDFFF) {
                        throw loneSurrogate(field(json, where, keyStart, keyEnd), unit, i);
                    }
                    i += 11;
                } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
                    throw loneSurrogate(field(json, where, keyStart, keyEnd), unit, i);
                } else {
                    i += unit >= 0 ? 5 : 1; // past the escape: an escaped quote does not end the string
                }
            }
        }
    }

    private static String field(byte[] json, String where, int keyStart, int keyEnd) {
        return keyEnd == 0 ? where : where + "." + new String(json, keyStart, keyEnd - keyStart, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static ConfigException loneSurrogate(String where, int unit, int offset) {
        return new ConfigException(ConfigException.Reason.MALFORMED_JSON, String.format(
                "%s: lone surrogate \\u%04x in a string (byte %d); JSON strings must be valid Unicode", where, unit, offset));
    }

    private static int hex4(byte[] json, int at) {
        if (at + 4 > json.length) {
            return -1;
        }
        int v = 0;
        for (int i = at; i < at + 4; i++) {
            int d = Character.digit(json[i], 16);
            if (d < 0) {
                return -1;
            }
            v = v * 16 + d;
        }
        return v;
    }

    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            // Only our own records are serialised; failing here is a programming error.
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

    /** A one-line message naming the field and what it accepts. */
    static String describe(JsonProcessingException e, String where) {
        String field = e instanceof JsonMappingException jme ? path(jme, where) : where;
        String at = location(e.getLocation());
        if (e instanceof UnrecognizedPropertyException u) {
            String parent = path(u, where, true);
            return "unknown field \"" + u.getPropertyName() + "\" in " + parent
                    + "; accepted fields: " + join(u.getKnownPropertyIds()) + at;
        }
        if (e instanceof InvalidFormatException f && f.getTargetType() != null && f.getTargetType().isEnum()) {
            return "invalid value " + quote(f.getValue()) + " for " + field + "; accepted values: "
                    + join(enumNames(f.getTargetType())) + at;
        }
        if (e instanceof MismatchedInputException m) {
            String message = String.valueOf(m.getOriginalMessage());
            if (message.startsWith("Trailing token")) {
                return where + ": unexpected content after the JSON value" + at;
            }
            if (message.startsWith("No content to map")) {
                return where + ": the body is empty; send a JSON object";
            }
            String expected = expected(m.getTargetType());
            return "invalid type for " + field + ": expected " + expected + at;
        }
        if (e instanceof JsonMappingException m && m.getCause() instanceof IllegalArgumentException iae) {
            return "invalid value for " + field + ": " + iae.getMessage() + at;
        }
        String message = e.getOriginalMessage();
        if (message != null && message.startsWith("Duplicate field")) {
            return where + ": " + firstLine(message) + "; each field may appear once" + at;
        }
        return where + ": malformed JSON: " + firstLine(message) + at;
    }

    private static String path(JsonMappingException e, String where) {
        return path(e, where, false);
    }

    /** {@code where.a[2].b}; with {@code parentOnly} the last field is left off. */
    private static String path(JsonMappingException e, String where, boolean parentOnly) {
        StringBuilder sb = new StringBuilder(where);
        List<JsonMappingException.Reference> refs = new ArrayList<>(e.getPath());
        if (parentOnly && !refs.isEmpty()) {
            refs.remove(refs.size() - 1);
        }
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                sb.append(sb.length() == 0 ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.length() == 0 ? "the body" : sb.toString();
    }

    private static String expected(Class<?> type) {
        if (type == null) {
            return "a different JSON type";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "a boolean (true or false)";
        }
        if (type == Long.class || type == long.class || type == Integer.class || type == int.class) {
            return "an integer";
        }
        if (type.isEnum()) {
            return "a string, one of: " + join(enumNames(type));
        }
        if (List.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        if (JsonNode.class.isAssignableFrom(type)) {
            return "a JSON value";
        }
        return "a JSON object";
    }

    /** The JSON spellings of an enum's constants ({@code @JsonProperty} names where given). */
    public static List<String> enumNames(Class<?> type) {
        List<String> names = new ArrayList<>();
        for (Object constant : type.getEnumConstants()) {
            String name = ((Enum<?>) constant).name();
            try {
                var ann = type.getField(name).getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
                if (ann != null && !ann.value().isEmpty()) {
                    name = ann.value();
                }
            } catch (NoSuchFieldException e) {
                // An enum constant always has its field; keep the Java name.
            }
            names.add(name);
        }
        return names;
    }

    private static String join(Collection<?> items) {
        List<String> names = new ArrayList<>();
        if (items != null) {
            for (Object o : items) {
                names.add(String.valueOf(o));
            }
        }
        names.sort(null);
        return String.join(", ", names);
    }

    private static String quote(Object value) {
        return value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
    }

    private static String location(JsonLocation loc) {
        if (loc == null || loc.getLineNr() < 0) {
            return "";
        }
        return " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
