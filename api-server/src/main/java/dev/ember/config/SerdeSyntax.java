package dev.ember.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import java.nio.charset.StandardCharsets;

/**
 * serde_json's words and position for bytes that are not JSON, from the error Jackson's parser
 * raised for them: Firecracker's texts end with serde's ("expected `,` or `}` at line 1 column
 * 12"). Jackson stops at the same byte as serde but for a few cases it words differently or
 * reports a little further on; those are read back from the bytes around where it stopped.
 * serde's column counts the bytes of the line it has consumed: the offending byte's own column,
 * or the last byte's at the end of the input.
 */
final class SerdeSyntax {
    /** serde_json's syntax error codes that Jackson's errors map to, with our sentence for each. */
    enum Code {
        EOF_LIST("EOF while parsing a list", "it ends inside an array"),
        EOF_OBJECT("EOF while parsing an object", "it ends inside an object"),
        EOF_STRING("EOF while parsing a string", "it ends inside a string"),
        EOF_VALUE("EOF while parsing a value", "it ends where a value should be"),
        EXPECTED_COLON("expected `:`", "a colon must follow a field's name"),
        LIST_COMMA_OR_END("expected `,` or `]`", "an array's values are separated by commas"),
        OBJECT_COMMA_OR_END("expected `,` or `}`", "an object's members are separated by commas"),
        EXPECTED_IDENT("expected ident", "the only bare words are true, false and null"),
        EXPECTED_VALUE("expected value", "a value is a string, a number, an object, an array, true, false or null"),
        INVALID_ESCAPE("invalid escape", "a backslash in a string starts one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX"),
        INVALID_NUMBER("invalid number", "a number has digits after its sign, point and exponent, and no leading zero"),
        CONTROL_CHARACTER("control character (\\u0000-\\u001F) found while parsing a string",
                "control characters in a string must be escaped"),
        KEY_MUST_BE_A_STRING("key must be a string", "a field's name is a string in double quotes"),
        TRAILING_COMMA("trailing comma", "remove the comma before the closing bracket"),
        TRAILING_CHARACTERS("trailing characters", "send one JSON object and nothing after it");

        final String serde;
        final String ours;

        Code(String serde, String ours) {
            this.serde = serde;
            this.ours = ours;
        }
    }

    /** A serde error: its code and how many bytes serde had consumed when it raised it. */
    record Found(Code code, int consumed) {}

    private SerdeSyntax() {}

    /** The whole message for a syntax error in {@code json}, or null when {@code e} is not one this maps. */
    static String describe(JsonProcessingException e, byte[] json, String where) {
        Found f = json == null ? null : find(e, json);
        return f == null ? null : describe(f.code(), json, f.consumed(), where);
    }

    /** serde's text for {@code code} once it has consumed {@code consumed} bytes, then ours. */
    static String describe(Code code, byte[] json, int consumed, String where) {
        return JsonErrors.serde(code.serde, SerdePosition.afterConsuming(json, consumed), where + " is not JSON: " + code.ours);
    }

    /** What serde reports for the bytes Jackson refused with {@code e}; null when {@code e} is no syntax error. */
    static Found find(JsonProcessingException e, byte[] json) {
        JsonParseException p = parseError(e);
        JsonLocation loc = p == null ? null : p.getLocation();
        if (loc == null || loc.getByteOffset() < 0 || loc.getByteOffset() > json.length) {
            return null;
        }
        int at = (int) loc.getByteOffset(); // the offending byte, for most of Jackson's errors
        String m = String.valueOf(p.getOriginalMessage());
        JsonParser parser = p.getProcessor();
        JsonStreamContext context = parser == null ? null : parser.getParsingContext();
        boolean afterRootValue = context != null && context.inRoot() && parser.currentToken() != null;
        if (m.contains("end-of-input")) {
            return new Found(endOfInput(m, json), json.length);
        }
        if (m.startsWith("Unrecognized token '")) {
            int start = tokenStart(json, at, between(m, "Unrecognized token '", "': was expecting"), true);
            return start < 0 ? null : afterRootValue ? new Found(Code.TRAILING_CHARACTERS, start + 1) : literal(json, start, context);
        }
        if (m.startsWith("Non-standard token '")) {
            int start = tokenStart(json, at, between(m, "Non-standard token '", "': enable"), false);
            // serde takes a leading minus as a number's and refuses the letter after it.
            return start < 0 ? null : json[start] == '-' ? new Found(Code.INVALID_NUMBER, start + 2) : new Found(Code.EXPECTED_VALUE, start + 1);
        }
        if (at >= json.length) {
            return null;
        }
        if (m.contains("was expecting double-quote to start field name")) {
            return new Found(json[at] == '}' ? Code.TRAILING_COMMA : Code.KEY_MUST_BE_A_STRING, at + 1);
        }
        if (m.contains("was expecting a colon to separate field name and value")) {
            return new Found(Code.EXPECTED_COLON, at + 1);
        }
        if (m.contains("was expecting comma to separate Object entries")) {
            return new Found(Code.OBJECT_COMMA_OR_END, at + 1);
        }
        if (m.contains("was expecting comma to separate Array entries")) {
            return new Found(Code.LIST_COMMA_OR_END, at + 1);
        }
        if (m.startsWith("Unexpected close marker")) {
            return new Found(closeMarker(json, at, context), at + 1);
        }
        if (m.contains("): expected a value") || m.contains("): expected a valid value")) {
            boolean trailingComma = json[at] == ']' && previous(json, at) == ',';
            return new Found(trailingComma ? Code.TRAILING_COMMA : Code.EXPECTED_VALUE, at + 1);
        }
        if (m.contains("numbers to have plus signs")) {
            return new Found(Code.EXPECTED_VALUE, at); // Jackson is past the sign, serde refuses it
        }
        if (m.contains("in numeric value") || m.contains("Leading zeroes not allowed")) {
            // A number ending the input at its point or exponent: Jackson names that last byte.
            boolean atEnd = at == json.length - 1 && ".eE+-".indexOf(json[at]) >= 0;
            return atEnd ? new Found(Code.EOF_VALUE, json.length) : new Found(Code.INVALID_NUMBER, at + 1);
        }
        if (m.startsWith("Illegal unquoted character ((CTRL-CHAR")) {
            return new Found(Code.CONTROL_CHARACTER, at + 1);
        }
        if (m.startsWith("Unrecognized character escape") || m.contains("expected a hex-digit for character escape")) {
            return new Found(Code.INVALID_ESCAPE, at + 1);
        }
        return null;
    }

    /** The parser's own error behind {@code e} (databind wraps one met inside a value with its path). */
    private static JsonParseException parseError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof JsonParseException p) {
                return p;
            }
        }
        return null;
    }

    private static Code endOfInput(String m, byte[] json) {
        if (m.contains("in VALUE_STRING") || m.contains("in field name") || m.contains("in character escape")) {
            return Code.EOF_STRING;
        }
        if (m.contains("close marker for Object")) {
            return Code.EOF_OBJECT;
        }
        if (m.contains("close marker for Array")) {
            return Code.EOF_LIST;
        }
        if (m.contains("between Object entries")) {
            // After a name serde still wants the colon (an object's); after a colon or comma, a value.
            byte last = previous(json, json.length);
            return last == ':' || last == ',' ? Code.EOF_VALUE : Code.EOF_OBJECT;
        }
        return Code.EOF_VALUE; // between an array's entries, or inside a number or a literal
    }

    /**
     * A bare word where a value goes: serde reads true, false or null letter by letter and stops
     * at the first that differs; a word complete but run on is refused as what follows a value.
     */
    private static Found literal(byte[] json, int start, JsonStreamContext context) {
        String word = switch (json[start]) {
            case 't' -> "true";
            case 'f' -> "false";
            case 'n' -> "null";
            default -> null;
        };
        if (word == null) {
            return new Found(Code.EXPECTED_VALUE, start + 1);
        }
        for (int k = 1; k < word.length(); k++) {
            if (start + k >= json.length) {
                return new Found(Code.EOF_VALUE, json.length);
            }
            if (json[start + k] != word.charAt(k)) {
                return new Found(Code.EXPECTED_IDENT, start + k + 1);
            }
        }
        Code next = context == null || context.inRoot() ? Code.TRAILING_CHARACTERS
                : context.inArray() ? Code.LIST_COMMA_OR_END : Code.OBJECT_COMMA_OR_END;
        return new Found(next, start + word.length() + 1);
    }

    /** A closing bracket of the wrong kind: what serde expected at that byte. */
    private static Code closeMarker(byte[] json, int at, JsonStreamContext context) {
        byte before = previous(json, at);
        if (context == null || context.inRoot()) {
            return Code.TRAILING_CHARACTERS;
        }
        if (context.inArray()) {
            return before == '[' || before == ',' ? Code.EXPECTED_VALUE : Code.LIST_COMMA_OR_END;
        }
        return before == '{' || before == ',' ? Code.KEY_MUST_BE_A_STRING : before == ':' ? Code.EXPECTED_VALUE : Code.OBJECT_COMMA_OR_END;
    }

    /**
     * Where the word Jackson quotes starts: it reports the byte after the word, or (for an
     * unrecognised one) after the byte that ended it. Null when the bytes do not hold it there.
     */
    private static int tokenStart(byte[] json, int at, String token, boolean endConsumed) {
        if (token == null) {
            return -1;
        }
        byte[] t = token.getBytes(StandardCharsets.UTF_8);
        for (int end : endConsumed ? new int[] {at - 1, at} : new int[] {at}) {
            int start = end - t.length;
            if (start >= 0 && java.util.Arrays.equals(json, start, end, t, 0, t.length)) {
                return start;
            }
        }
        return -1;
    }

    /** The last byte before {@code at} that is not white space, or 0. */
    private static byte previous(byte[] json, int at) {
        for (int i = at - 1; i >= 0; i--) {
            if (json[i] != ' ' && json[i] != '\t' && json[i] != '\n' && json[i] != '\r') {
                return json[i];
            }
        }
        return 0;
    }

    private static String between(String s, String open, String close) {
        int a = s.indexOf(open);
        int b = a < 0 ? -1 : s.indexOf(close, a + open.length());
        return b < 0 ? null : s.substring(a + open.length(), b);
    }
}
