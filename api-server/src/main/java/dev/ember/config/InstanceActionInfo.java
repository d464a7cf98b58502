package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.io.IOException;

/** PUT {@code /actions} body. */
public record InstanceActionInfo(@JsonProperty(value = "action_type", required = true) ActionType actionType) {
    public void validate() throws ConfigException {
        Check.required(actionType, "action_type");
    }

    /** serde's non-Option fields of Firecracker's struct, in its order: refused while binding when absent. */

    static final List<String> REQUIRED = List.of("action_type");

    static final List<String> FIELDS = List.of("action_type");

    /** The body of PUT /actions, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static InstanceActionInfo read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, InstanceActionInfo::read);
    }

    private static InstanceActionInfo read(StrictReader in, String path) throws IOException, ConfigException {
        in.object(path);
        ActionType actionType = null;
        while (in.field(path, FIELDS, REQUIRED) != null) {
            actionType = in.enumValue(path + ".action_type", ActionType.class);
        }
        return new InstanceActionInfo(actionType);
    }
}
