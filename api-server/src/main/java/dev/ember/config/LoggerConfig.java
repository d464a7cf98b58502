package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.io.IOException;

/** {@code logger}: where human-readable logs go and what each line shows. */
public record LoggerConfig(
        @JsonProperty("log_path") String logPath,
        @JsonProperty("level") LogLevel level,
        @JsonProperty("show_level") Boolean showLevel,
        @JsonProperty("show_log_origin") Boolean showLogOrigin,
        @JsonProperty("module") String module) {

    void validate() throws ConfigException {
        if (logPath != null) {
            Check.path(logPath, "logger.log_path");
        }
        if (module != null) {
            Check.nonEmpty(module, "logger.module");
        }
    }

    static final List<String> FIELDS = List.of("log_path", "level", "show_level", "show_log_origin", "module");

    /** The body of PUT /logger, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static LoggerConfig read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> in.object(path) ? read(in, path) : null);
    }

    /** With the parser on the object's start. */
    static LoggerConfig read(StrictReader in, String path) throws IOException, ConfigException {
        String logPath = null, module = null;
        LogLevel level = null;
        Boolean showLevel = null, showLogOrigin = null;
        for (String f; (f = in.field(path, FIELDS)) != null; ) {
            String at = path + "." + f;
            switch (f) {
                case "log_path" -> logPath = in.string(at);
                case "level" -> level = in.fromString(at, LogLevel::parse, "a string, one of: " + String.join(", ", LEVELS));
                case "show_level" -> showLevel = in.bool(at);
                case "show_log_origin" -> showLogOrigin = in.bool(at);
                default -> module = in.string(at); // module, the last of FIELDS
            }
        }
        return new LoggerConfig(logPath, level, showLevel, showLogOrigin, module);
    }

    private static final List<String> LEVELS = List.of("Off", "Error", "Warning", "Info", "Debug", "Trace"); // declaration order, as serde lists them
}
