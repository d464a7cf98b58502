package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** PATCH {@code /vm} body. */
public record VmStateUpdate(@JsonProperty("state") State state) {
    public enum State { Paused, Resumed }

    public void validate() throws ConfigException {
        Check.required(state, "state");
    }
}
