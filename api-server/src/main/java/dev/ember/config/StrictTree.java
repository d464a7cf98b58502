package dev.ember.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Any JSON value (MMDS contents) as databind's tree, read and written with jackson-core: the
 * tree's node classes are a few of databind's, its mapper ~500 more, which a VMM whose AOT cache
 * holds no databind would load from the jar at the first PUT /mmds. Reads as
 * {@link StrictJson#tree} does, errors word for word; writes as {@link StrictJson#write} does
 * ({@code StrictTreeTest} compares both ways).
 */
public final class StrictTree {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final BigDecimal MAX_DOUBLE = new BigDecimal(Double.MAX_VALUE);

    private StrictTree() {}

    /** Parses any JSON value; {@code where} names the body in errors. */
    public static JsonNode read(byte[] json, String where) throws ConfigException {
        JsonErrors.requireValidUnicode(json, where);
        try (JsonParser p = StrictReader.FACTORY.createParser(json)) {
            if (p.nextToken() == null) {
                throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, json.length == 0 ? where + ": the body is empty; send a JSON value" : JsonErrors.noValue(json, where));
            }
            JsonNode node = value(p);
            if (p.nextToken() != null) {
                throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, JsonErrors.serde("trailing characters",
                        JsonErrors.jacksonAt(p.currentTokenLocation()), where + " holds more than one JSON value; send one object"));
            }
            requireDoubleRange(node, where);
            return node;
        } catch (JsonProcessingException e) {
            throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, JsonErrors.describe(e, where, json));
        } catch (IOException e) {
            throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, where + ": cannot read the JSON body: " + e.getMessage());
        } catch (NumberFormatException | ArithmeticException e) {
            throw numberOutOfRange(where);
        }
    }

    /** The value the parser is on, as databind's tree deserialiser builds it (fractions as BigDecimal). */
    private static JsonNode value(JsonParser p) throws IOException {
        switch (p.currentToken()) {
            case START_OBJECT -> {
                ObjectNode object = NODES.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    object.set(name, value(p));
                }
                return object;
            }
            case START_ARRAY -> {
                ArrayNode array = NODES.arrayNode();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    array.add(value(p));
                }
                return array;
            }
            case VALUE_STRING -> {
                return NODES.textNode(p.getText());
            }
            case VALUE_NUMBER_INT -> {
                return switch (p.getNumberType()) {
                    case INT -> NODES.numberNode(p.getIntValue());
                    case LONG -> NODES.numberNode(p.getLongValue());
                    default -> NODES.numberNode(p.getBigIntegerValue());
                };
            }
            case VALUE_NUMBER_FLOAT -> {
                return decimal(p.getDecimalValue());
            }
            case VALUE_TRUE -> {
                return NODES.booleanNode(true);
            }
            case VALUE_FALSE -> {
                return NODES.booleanNode(false);
            }
            default -> {
                return NODES.nullNode();
            }
        }
    }

    /** As databind's tree keeps a fraction: trailing zeros stripped (1.50 is 1.5, 1.0 is 1), any zero 0. */
    private static JsonNode decimal(BigDecimal v) {
        if (v.signum() == 0) {
            return DecimalNode.ZERO;
        }
        try {
            return DecimalNode.valueOf(v.stripTrailingZeros());
        } catch (ArithmeticException e) {
            return DecimalNode.valueOf(v); // a scale past int's range: kept as written
        }
    }

    /**
     * Fractional numbers are kept exactly (BigDecimal), so 1E+400 parses; Firecracker's parser
     * reads them as doubles and refuses one past the double range.
     */
    static void requireDoubleRange(JsonNode node, String where) throws ConfigException {
        if (node.isBigDecimal()) {
            if (node.decimalValue().abs().compareTo(MAX_DOUBLE) > 0) {
                throw numberOutOfRange(where);
            }
            return;
        }
        for (JsonNode child : node) {
            requireDoubleRange(child, where);
        }
    }

    /** A number whose exponent does not fit (1E+9999999999): serde_json refuses it as out of range too. */
    static ConfigException numberOutOfRange(String where) {
        return new ConfigException(ConfigException.Reason.MALFORMED_JSON, where + ": a number is out of range"
                + "; numbers must fit a 64-bit integer or a double");
    }

    /** {@code node} as {@link StrictJson#write} writes it. */
    public static byte[] write(JsonNode node) {
        return StrictWriter.write(out -> write(out, node, false));
    }

    /**
     * {@code node} as a String, each object's fields sorted by name, as databind's
     * {@code writeValueAsString} with WRITE_PROPERTIES_SORTED gives it (characters past the
     * BMP as they are, not escaped as a UTF-8 generator escapes them): the guest's MMDS answers.
     */
    public static String writeSorted(JsonNode node) {
        java.io.StringWriter text = new java.io.StringWriter();
        try (JsonGenerator out = StrictReader.FACTORY.createGenerator(text)) {
            write(out, node, true);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // a StringWriter does not fail
        }
        return text.toString();
    }

    private static void write(JsonGenerator out, JsonNode node, boolean sorted) throws IOException {
        if (node.isObject()) {
            out.writeStartObject();
            List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                fields.add(it.next());
            }
            if (sorted) {
                fields.sort(Map.Entry.comparingByKey());
            }
            for (Map.Entry<String, JsonNode> field : fields) {
                out.writeFieldName(field.getKey());
                write(out, field.getValue(), sorted);
            }
            out.writeEndObject();
        } else if (node.isArray()) {
            out.writeStartArray();
            for (JsonNode element : node) {
                write(out, element, sorted);
            }
            out.writeEndArray();
        } else if (node.isTextual()) {
            out.writeString(node.textValue());
        } else if (node.isInt()) {
            out.writeNumber(node.intValue());
        } else if (node.isLong()) {
            out.writeNumber(node.longValue());
        } else if (node.isBigInteger()) {
            out.writeNumber(node.bigIntegerValue());
        } else if (node.isBigDecimal()) {
            out.writeNumber(node.decimalValue());
        } else if (node.isNumber()) {
            out.writeNumber(node.doubleValue());
        } else if (node.isBoolean()) {
            out.writeBoolean(node.booleanValue());
        } else {
            out.writeNull();
        }
    }
}
