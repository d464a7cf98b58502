package dev.ember.app;

/**
 * The VMM was asked to stop (SIGTERM, SIGINT, SIGHUP) before the microVM could start or load:
 * not a configuration error, so the CLI exits as for any requested stop.
 */
public final class VmmStoppedException extends VmmException {
    public VmmStoppedException() {
        super("the VMM is shutting down: it was asked to stop before the microVM started");
    }
}
