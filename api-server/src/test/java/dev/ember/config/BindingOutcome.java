package dev.ember.config;

/** How the differential binding tests (StrictReaderTest, StreamedBodiesTest) describe one binding's result. */
final class BindingOutcome {
    private BindingOutcome() {}

    interface Binding {
        Object bind() throws ConfigException;
    }

    /** "ok " + the record, or "error " + reason + message; anything else thrown is a finding in itself. */
    static String of(Binding b) {
        try {
            return "ok " + b.bind();
        } catch (ConfigException e) {
            return "error " + e.reason() + ": " + e.getMessage();
        } catch (RuntimeException e) {
            return "threw " + e;
        }
    }

    /** The body and both outcomes, for a failure message. */
    static String difference(String body, String databind, String streamed) {
        return (body.length() > 200 ? body.substring(0, 200) + "..." : body) + "\n  databind: " + databind + "\n  streamed: " + streamed;
    }
}
