package dev.ember.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** Validation helpers whose messages name the field and the fix. */
final class Check {
    private static final Pattern ID = Pattern.compile("[\\p{IsAlphabetic}\\p{IsDigit}_]+");

    private Check() {}

    static <T> T required(T value, String field) throws ConfigException {
        if (value == null) {
            throw new ConfigException(ConfigException.Reason.MISSING_FIELD, missingField(field));
        }
        return value;
    }

    /**
     * serde's words for an absent field, which Firecracker's tests match ("missing field
     * `backend_type`"), then where it is missing when the name alone does not say.
     */
    static String missingField(String field) {
        String name = field.substring(field.lastIndexOf('.') + 1);
        return "missing field `" + name + "`" + (name.equals(field) ? "" : " (" + field + ")");
    }

    static String nonEmpty(String value, String field) throws ConfigException {
        required(value, field);
        if (value.isEmpty()) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, field + " must not be empty");
        }
        return value;
    }

    static long range(Long value, long min, long max, String field) throws ConfigException {
        required(value, field);
        if (value < min || value > max) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, field + " is " + value + "; use a value from " + min + " to " + max);
        }
        return value;
    }

    /** Firecracker's resource-id rule: non-empty, only alphanumeric characters and '_'. */
    static String resourceId(String id, String field) throws ConfigException {
        required(id, field);
        if (id.isEmpty()) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "The ID cannot be empty. (" + field + ")");
        }
        if (!ID.matcher(id).matches()) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "API Resource IDs can only contain alphanumeric characters and underscores. ("
                    + field + " is \"" + id + "\")");
        }
        return id;
    }

    /**
     * A file path as the kernel takes it: not empty and without a NUL, which would end the path
     * the kernel sees ("m.json", NUL, ".ignored" would create m.json) and which Java refuses.
     */
    static String path(String path, String field) throws ConfigException {
        nonEmpty(path, field);
        int nul = path.indexOf('\0');
        if (nul >= 0) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, field + " contains a NUL character (at index " + nul
                    + "); give a plain file path");
        }
        return path;
    }

    /**
     * The path names an existing file the process can read (Firecracker opens it at PUT time).
     * The message carries the OS's words for the failed open, which Firecracker's texts end with.
     */
    static String readableFile(String path, String field) throws ConfigException {
        return readableFile(path, field, null);
    }

    /** As {@link #readableFile(String, String)}, the message led by Firecracker's {@code lead} and the OS's words. */
    static String readableFile(String path, String field, String lead) throws ConfigException {
        path(path, field);
        Path p = Path.of(path);
        String os;
        String detail;
        if (!Files.exists(p)) {
            os = "No such file or directory (os error 2)";
            detail = " does not exist; give the path of an existing file";
        } else if (Files.isDirectory(p)) {
            os = "Is a directory (os error 21)";
            detail = " is a directory; give the path of a file";
        } else if (!Files.isReadable(p)) {
            os = "Permission denied (os error 13)";
            detail = " is not readable by this process; fix its permissions";
        } else {
            return path;
        }
        detail = field + ": " + path + detail;
        throw new ConfigException(ConfigException.Reason.FILE, lead == null ? detail + " (" + os + ")" : lead + ": " + os + " (" + detail + ")");
    }
}
