package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.io.IOException;

/** PATCH {@code /vm} body. */
public record VmStateUpdate(@JsonProperty(value = "state", required = true) State state) {
    public enum State { Paused, Resumed }

    public void validate() throws ConfigException {
        Check.required(state, "state");
    }

    /** serde's non-Option fields of Firecracker's struct, in its order: refused while binding when absent. */

    static final List<String> REQUIRED = List.of("state");

    static final List<String> FIELDS = List.of("state");

    /** The body of PATCH /vm, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static VmStateUpdate read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, VmStateUpdate::read);
    }

    private static VmStateUpdate read(StrictReader in, String path) throws IOException, ConfigException {
        in.object(path);
        State state = null;
        while (in.field(path, FIELDS, REQUIRED) != null) {
            state = in.enumValue(path + ".state", State.class);
        }
        return new VmStateUpdate(state);
    }
}
