package dev.ember.api;

/**
 * The classes whose static initialisers the API's first request runs, on the I/O thread after
 * the socket is served: Undertow's header table (built by reflection over its 112 header
 * fields), its cookie and host patterns, the GMT time zone its date header code asks for (the
 * JDK then reads and indexes tzdb.dat), the status line table and the JSON writer. Initialised
 * ahead on the start's set-up thread, in parallel with {@code main}, that request's own path
 * shrinks (bench/README.md, "Start-up, session 11": 13.5 -> 5 ms of CPU on {@code ember-api-io}
 * at load 3). Names, not class literals: some are JDK-internal or package-private, and a name
 * costs nothing when a library version lacks it.
 */
public final class FirstRequest {
    static final String[] CLASSES = {
        "io.undertow.UndertowLogger", "io.undertow.server.protocol.http.HttpResponseConduit",
        "io.undertow.server.protocol.http.HttpReadListener", "io.undertow.server.HttpServerExchange",
        "io.undertow.util.HeaderMap", "io.undertow.util.ParserUtils", "io.undertow.util.Methods",
        "io.undertow.util.Protocols", "io.undertow.util.Headers", "io.undertow.util.HeaderValues",
        "io.undertow.util.Cookies", "io.undertow.server.protocol.http.HttpTransferEncoding",
        "io.undertow.server.Connectors", "io.undertow.server.handlers.HostHeaderHandler",
        "io.undertow.server.protocol.http.HttpContinue", "io.undertow.io.DefaultIoCallback",
        "dev.ember.config.StrictWriter", "com.fasterxml.jackson.core.json.UTF8JsonGenerator",
        "io.undertow.util.DateUtils", "io.undertow.util.StatusCodes", "sun.nio.ch.IOVecWrapper",
        "org.xnio.ChannelListeners", "org.xnio.IoUtils",
        // A client that closes after its answer (Connection: close): Undertow drains the connection
        // through these listeners when the client has not closed yet. The AOT training takes that
        // path only when its curl happens to close after the server, so without them here the
        // cache sometimes lacked them and such a first answer read undertow-core's jar
        // (LauncherAotCacheIT, 2 of 2 trainings on 2026-12-07).
        "io.undertow.util.ConnectionUtils$3", "io.undertow.util.ConnectionUtils$4",
    };

    private FirstRequest() {}

    /** Initialises them; one that fails is left to the request, which reports it. */
    public static void initialiseClasses() {
        ClassLoader loader = FirstRequest.class.getClassLoader();
        for (String name : CLASSES) {
            try {
                Class.forName(name, true, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                // The request initialises it again and fails there, visibly.
            }
        }
    }
}
