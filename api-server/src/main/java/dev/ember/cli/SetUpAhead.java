package dev.ember.cli;

import dev.ember.api.FirstRequest;
import dev.ember.concurrent.Uninterruptibly;
import dev.ember.seccomp.BpfProgram;
import dev.ember.seccomp.json.SeccompFilters;
import dev.ember.sys.RawLibc;
import java.util.Map;

/**
 * First-time set-up of the start path that depends on nothing before it, done on a second
 * thread while {@code main} sets up logging, the controller and the API (on two cores the
 * two overlap): jffi's native library and call contexts (seccomp's and the VMM's system calls),
 * the JDK's Unix socket classes (whose static set-up creates a {@code SecureRandom}: the security
 * providers), and the built-in seccomp filters read from the jar. Measured with phase marks
 * (bench/README.md, "Start-up wall and CPU, session 9"): 20-25 ms of {@code main}'s CPU before
 * the socket listens moved here. With the API, then the classes the first request initialises
 * ({@link FirstRequest}), which this thread has time for before {@code main} joins it ("Start-up,
 * session 11"). Nothing here is observable: a step that fails is done again where
 * it is needed, which reports the error as before.
 */
final class SetUpAhead extends Thread {
    private final boolean builtInFilters;
    private final boolean api;
    private volatile Map<String, BpfProgram> filters;

    // A Thread subclass, not a lambda: no class spun on main at start (LauncherAotCacheIT).
    private SetUpAhead(boolean builtInFilters, boolean api) {
        super("ember-set-up");
        this.builtInFilters = builtInFilters;
        this.api = api;
        setDaemon(true);
    }

    /**
     * Starts the set-up; {@code builtInFilters}: the built-in seccomp filters will be installed;
     * {@code api}: the API will be served (a {@code --no-api} VMM's AOT cache holds no HTTP class).
     */
    static SetUpAhead begin(boolean builtInFilters, boolean api) {
        SetUpAhead ahead = new SetUpAhead(builtInFilters, api);
        ahead.start();
        return ahead;
    }

    @Override
    public void run() {
        try {
            RawLibc.function("syscall"); // its class set-up binds jffi
            SeccompFilters.prepareJdk();
            if (builtInFilters) {
                filters = SeccompFilters.compiledDefault();
            }
            if (api) {
                FirstRequest.initialiseClasses();
            }
        } catch (Throwable e) { // NOPMD: done again, and reported, where it is needed
            filters = null;
        }
    }

    /** Waits for the set-up to end (before seccomp, which would apply to this thread too). */
    void finish() {
        Uninterruptibly.join(this);
    }

    /** The built-in filters read ahead; null when not asked for or when reading them failed. */
    Map<String, BpfProgram> builtInFilters() {
        finish();
        return filters;
    }
}
