package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

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
}
