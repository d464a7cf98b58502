package dev.ember.logging;

/**
 * Text a peer chose (a URL path, a header), made safe to put in a log line or a fault message:
 * control characters become visible escapes, so a request for {@code /x%0a[ERROR] ...} cannot
 * end the line it is logged in and forge another.
 */
public final class LogText {
    private LogText() {}

    /** {@code s} with CR, LF, TAB as {@code \r \n \t}, other C0/C1 controls, DEL and line separators as {@code \\uXXXX}. */
    public static String escape(String s) {
        int i = 0;
        while (i < s.length() && !needsEscape(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s; // the usual case: nothing to copy
        }
        StringBuilder out = new StringBuilder(s.length() + 16).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (needsEscape(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    private static boolean needsEscape(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
    }
}
