package dev.ember.config;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Where serde_json puts a deserialisation error in a body, found from the bytes and the field's
 * path, so that both binding paths (databind and {@link StrictReader}), whose parsers stop at
 * different places, report the same " at line L column C" as Firecracker. serde counts bytes
 * from 1 and names the last byte it consumed: a key's or a string's closing quote, a literal's
 * last character, an object's closing brace for a field it lacks.
 */
final class SerdePosition {
    /** Which byte of the path's token serde would have consumed last. */
    enum Mark {
        /** The closing quote of the last segment's key (an unknown field). */
        KEY,
        /** The end of the value at the path (an unknown variant, an invalid type). */
        VALUE,
        /** The closing brace of the object at the path (a missing field). */
        OBJECT_END
    }

    private SerdePosition() {}

    /**
     * " at line L column C" for {@code path} ({@code where} followed by {@code .field} and
     * {@code [index]} segments) in {@code json}; empty when there are no bytes (a config-file
     * section bound from a tree) or the path is not in them.
     */
    static String of(byte[] json, String where, String path, Mark mark) {
        int end = json == null ? -1 : lastByte(json, segments(where, path), mark);
        return end < 0 ? "" : at(json, end);
    }

    /** The token that starts at {@code start}: " at line L column C" of its last byte. */
    static String ofTokenAt(byte[] json, int start) {
        if (json == null || start < 0 || start >= json.length) {
            return "";
        }
        return at(json, lastByteOfValue(json, start));
    }

    /** The value's start in {@code json} at {@code path}, or -1. */
    static int valueStart(byte[] json, String where, String path) {
        List<Object> segs = segments(where, path);
        return json == null || segs == null ? -1 : descend(json, segs, segs.size());
    }

    /** Where serde reports an error it raised on consuming the byte at {@code index}. */
    static String at(byte[] json, int index) {
        return afterConsuming(json, index + 1);
    }

    /** serde's " at line L column C" once it has consumed {@code consumed} bytes (a newline consumed is column 0 of the next line). */
    static String afterConsuming(byte[] json, int consumed) {
        int line = 1;
        int column = 0;
        for (int i = 0; i < consumed; i++) {
            if (json[i] == '\n') {
                line++;
                column = 0;
            } else {
                column++;
            }
        }
        return " at line " + line + " column " + column;
    }

    /** Field names (String) and array indices (Integer) after {@code where}; null if {@code path} is not under it. */
    private static List<Object> segments(String where, String path) {
        if (!path.startsWith(where)) {
            return null;
        }
        List<Object> segs = new ArrayList<>();
        String rest = path.substring(where.length());
        int i = 0;
        while (i < rest.length()) {
            char c = rest.charAt(i);
            if (c == '.') {
                int next = i + 1;
                while (next < rest.length() && rest.charAt(next) != '.' && rest.charAt(next) != '[') {
                    next++;
                }
                segs.add(rest.substring(i + 1, next));
                i = next;
            } else if (c == '[') {
                int close = rest.indexOf(']', i);
                if (close < 0) {
                    return null;
                }
                try {
                    segs.add(Integer.parseInt(rest.substring(i + 1, close)));
                } catch (NumberFormatException e) {
                    return null; // a map key or an id in brackets: not a JSON array index
                }
                i = close + 1;
            } else {
                return null;
            }
        }
        return segs;
    }

    private static int lastByte(byte[] json, List<Object> segs, Mark mark) {
        if (segs == null) {
            return -1;
        }
        if (mark == Mark.KEY) {
            if (segs.isEmpty() || !(segs.get(segs.size() - 1) instanceof String name)) {
                return -1;
            }
            int object = descend(json, segs, segs.size() - 1);
            int key = object < 0 ? -1 : member(json, object, name);
            return key < 0 ? -1 : stringEnd(json, key) - 1;
        }
        int value = descend(json, segs, segs.size());
        if (value < 0) {
            return -1;
        }
        if (mark == Mark.OBJECT_END) {
            return json[value] == '{' ? lastByteOfValue(json, value) : -1;
        }
        return json[value] == '{' || json[value] == '[' ? value : lastByteOfValue(json, value);
    }

    /** The start of the value the first {@code count} segments lead to, or -1. */
    private static int descend(byte[] json, List<Object> segs, int count) {
        int i = skipWs(json, 0);
        for (int s = 0; s < count && i >= 0; s++) {
            if (segs.get(s) instanceof String name) {
                int key = json[i] == '{' ? member(json, i, name) : -1;
                i = key < 0 ? -1 : afterColon(json, stringEnd(json, key));
            } else {
                i = json[i] == '[' ? element(json, i, (Integer) segs.get(s)) : -1;
            }
        }
        return i;
    }

    /** The opening quote of {@code name}'s key in the object at {@code object}, or -1. */
    private static int member(byte[] json, int object, String name) {
        byte[] want = name.getBytes(StandardCharsets.UTF_8);
        int i = skipWs(json, object + 1);
        while (i >= 0 && i < json.length && json[i] == '"') {
            int end = stringEnd(json, i);
            if (end - i - 2 == want.length && java.util.Arrays.equals(json, i + 1, end - 1, want, 0, want.length)) {
                return i;
            }
            int value = afterColon(json, end);
            if (value < 0) {
                return -1;
            }
            i = skipWs(json, lastByteOfValue(json, value) + 1);
            if (i < 0 || json[i] != ',') {
                return -1;
            }
            i = skipWs(json, i + 1);
        }
        return -1;
    }

    private static int element(byte[] json, int array, int index) {
        int i = skipWs(json, array + 1);
        for (int n = 0; i >= 0 && i < json.length && json[i] != ']'; n++) {
            if (n == index) {
                return i;
            }
            i = skipWs(json, lastByteOfValue(json, i) + 1);
            if (i < 0 || json[i] != ',') {
                return -1;
            }
            i = skipWs(json, i + 1);
        }
        return -1;
    }

    private static int afterColon(byte[] json, int i) {
        i = skipWs(json, i);
        return i < 0 || json[i] != ':' ? -1 : skipWs(json, i + 1);
    }

    private static int skipWs(byte[] json, int i) {
        while (i < json.length && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' || json[i] == '\r')) {
            i++;
        }
        return i < json.length ? i : -1;
    }

    /** Just past the closing quote of the string whose opening quote is at {@code i}. */
    private static int stringEnd(byte[] json, int i) {
        for (int j = i + 1; j < json.length; j++) {
            if (json[j] == '\\') {
                j++;
            } else if (json[j] == '"') {
                return j + 1;
            }
        }
        return json.length;
    }

    /** The last byte of the value starting at {@code i}: a closing quote or bracket, a literal's last character. */
    static int lastByteOfValue(byte[] json, int i) {
        byte b = json[i];
        if (b == '"') {
            return stringEnd(json, i) - 1;
        }
        if (b == '{' || b == '[') {
            int depth = 0;
            for (int j = i; j < json.length; j++) {
                byte c = json[j];
                if (c == '"') {
                    j = stringEnd(json, j) - 1;
                } else if (c == '{' || c == '[') {
                    depth++;
                } else if ((c == '}' || c == ']') && --depth == 0) {
                    return j;
                }
            }
            return json.length - 1;
        }
        int j = i;
        while (j + 1 < json.length && ",}] \t\r\n:".indexOf(json[j + 1]) < 0) {
            j++;
        }
        return j;
    }
}
