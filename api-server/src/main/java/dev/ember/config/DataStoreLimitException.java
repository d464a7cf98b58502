package dev.ember.config;

/** An MMDS PUT/PATCH would make the data store larger than its limit (Firecracker answers 413). */
public final class DataStoreLimitException extends ConfigException {
    public DataStoreLimitException(int size, int limit) {
        super(Reason.TOO_LARGE, "The MMDS data store would be " + size + " bytes, over the limit of " + limit
                + " bytes; store less metadata or raise --mmds-size-limit.");
    }
}
