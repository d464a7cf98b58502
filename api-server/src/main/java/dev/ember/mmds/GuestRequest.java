package dev.ember.mmds;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One HTTP/1.x request a guest sent to the metadata address: request line and headers
 * (names as the guest spelled them; looked up case-insensitively).
 *
 * @param path the absolute path of the target, query and fragment removed ("" when an
 *             absolute-form target names no path)
 */
record GuestRequest(String method, String path, boolean http10, List<String[]> headers) {
    static final int MAX_HEADERS = 64;

    /** The first header with this name, or null. */
    String[] header(String name) {
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(name)) {
                return h;
            }
        }
        return null;
    }

    String value(String name) {
        String[] h = header(name);
        return h == null ? null : h[1];
    }

    /** HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 only when asked. */
    boolean keepAlive() {
        String c = value("Connection");
        if (c == null) {
            return !http10;
        }
        c = c.trim();
        return http10 ? c.equalsIgnoreCase("keep-alive") : !c.equalsIgnoreCase("close");
    }

    /**
     * Parses the head {@code [0, headLength)} (ending with the blank line).
     *
     * @throws IllegalArgumentException naming what is malformed
     */
    static GuestRequest parse(byte[] b, int headLength) {
        String head = new String(b, 0, headLength, StandardCharsets.ISO_8859_1);
        String[] lines = head.split("\r\n");
        if (lines.length == 0) {
            throw new IllegalArgumentException("Invalid request line."); // blank lines only: split keeps nothing
        }
        String[] line = lines[0].split(" ", -1);
        if (line.length != 3 || line[0].isEmpty() || line[1].isEmpty()) {
            throw new IllegalArgumentException("Invalid request line.");
        }
        boolean http10;
        if (line[2].equals("HTTP/1.1")) {
            http10 = false;
        } else if (line[2].equals("HTTP/1.0")) {
            http10 = true;
        } else {
            throw new IllegalArgumentException("Unsupported HTTP version.");
        }
        List<String[]> headers = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isEmpty()) {
                continue;
            }
            int colon = lines[i].indexOf(':');
            if (colon <= 0 || headers.size() == MAX_HEADERS) {
                throw new IllegalArgumentException("Invalid header.");
            }
            headers.add(new String[] {lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim()});
        }
        return new GuestRequest(line[0], absolutePath(line[1]), http10, headers);
    }

    /** A decimal of at most {@code maxDigits} digits (surrounding blanks allowed), or -1. */
    static long decimal(String s, int maxDigits) {
        String t = s.trim();
        if (t.isEmpty() || t.length() > maxDigits) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    private static String absolutePath(String target) {
        String t = target;
        int scheme = t.indexOf("://");
        if (scheme >= 0 && !t.startsWith("/")) {
            int slash = t.indexOf('/', scheme + 3);
            t = slash < 0 ? "" : t.substring(slash);
        }
        int q = t.indexOf('?');
        if (q >= 0) {
            t = t.substring(0, q);
        }
        int h = t.indexOf('#');
        if (h >= 0) {
            t = t.substring(0, h);
        }
        return t;
    }
}
