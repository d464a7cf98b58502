package dev.ember.sys;

/**
 * Firecracker's instance id rule, which the jailer ({@code --id}, also its chroot directory's
 * name) and the VMM ({@code --id}) both enforce: 1 to 64 ASCII letters, digits and '-'. Here
 * because {@code sys} is the one module both depend on.
 */
public final class InstanceId {
    /** The longest id either accepts. */
    public static final int MAX_LENGTH = 64;

    private InstanceId() {}

    /**
     * Whether {@code id} is valid; null is not. By hand, not a regular expression: every start of
     * both processes checks it, and a pattern's compilation is interpreted work on their main
     * thread (JailConfigTest holds this to the pattern it replaced).
     */
    public static boolean isValid(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) {
                return false;
            }
        }
        return true;
    }
}
