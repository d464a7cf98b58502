package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Firecracker's log levels; case-insensitive on input ("Warn" accepted), like Firecracker's. */
public enum LogLevel {
    Off, Error, Warning, Info, Debug, Trace;

    @JsonCreator
    public static LogLevel parse(String s) {
        for (LogLevel l : values()) {
            if (l.name().equalsIgnoreCase(s)) {
                return l;
            }
        }
        if ("warn".equalsIgnoreCase(s)) {
            return Warning;
        }
        throw new IllegalArgumentException("invalid log level \"" + s + "\"; use one of Error, Warning, Info, Debug, Trace, Off");
    }

    @JsonValue
    public String jsonName() {
        return name();
    }
}
