package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** PUT {@code /actions} body. */
public record InstanceActionInfo(@JsonProperty("action_type") ActionType actionType) {
    public void validate() throws ConfigException {
        Check.required(actionType, "action_type");
    }
}
