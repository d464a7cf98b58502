package dev.ember.seccomp;

import dev.ember.log.Log;
import java.util.EnumMap;
import java.util.Map;

/**
 * Per-thread filters, as Firecracker's vmm / api / vcpu categories. The {@code vmm} filter goes on
 * every thread of the process with TSYNC (the JVM's own threads cannot be reached any other way);
 * the {@code api} and {@code vcpu} filters are stacked, each by its own threads, through
 * {@link #enter}: such a thread then passes both, so it can do only what both allow.
 *
 * <p>A thread inherits its creator's filters. Threads that need the vmm filter alone (the API's
 * request executor, the event loop, the vCPUs) are therefore started by threads that carry only
 * that one: main or the request executor, never an api or vcpu thread.
 */
public final class ThreadFilters {
    /** Firecracker's thread categories; {@link #jsonName} is the key in its filter files. */
    public enum Category {
        VMM("vmm"), API("api"), VCPU("vcpu");

        private final String jsonName;

        Category(String jsonName) {
            this.jsonName = jsonName;
        }

        public String jsonName() {
            return jsonName;
        }
    }

    private static final System.Logger LOG = Log.logger(ThreadFilters.class);
    private static final Map<Category, BpfProgram> PENDING = new EnumMap<>(Category.class);

    private ThreadFilters() {}

    /**
     * Installs {@code programs.get("vmm")} on all threads and keeps the api and vcpu programs for
     * {@link #enter}. Keys other than Firecracker's three are refused.
     */
    public static synchronized BpfProgram install(Map<String, BpfProgram> programs) {
        EnumMap<Category, BpfProgram> byCategory = new EnumMap<>(Category.class);
        for (Map.Entry<String, BpfProgram> e : programs.entrySet()) {
            Category c = null;
            for (Category k : Category.values()) {
                if (k.jsonName.equals(e.getKey())) {
                    c = k;
                }
            }
            if (c == null) {
                throw new SeccompFilterException("unknown thread category \"" + e.getKey() + "\" (expected vmm, api or vcpu)");
            }
            byCategory.put(c, e.getValue());
        }
        BpfProgram vmm = byCategory.remove(Category.VMM);
        if (vmm == null) {
            throw new SeccompFilterException("the \"vmm\" filter is missing: it is installed on every thread");
        }
        Seccomp.install(vmm);
        PENDING.clear();
        PENDING.putAll(byCategory);
        return vmm;
    }

    /**
     * Adds the {@code category} filter on the calling thread; nothing when none was installed
     * (no seccomp, or a filter file without that category). Call before the thread handles
     * anything untrusted and before it starts other threads.
     */
    public static void enter(Category category) {
        BpfProgram program;
        synchronized (ThreadFilters.class) {
            program = PENDING.get(category);
        }
        if (program != null) {
            try {
                Seccomp.installOnThisThread(program);
            } catch (dev.ember.sys.NativeException e) {
                throw new SeccompFilterException("seccomp " + category.jsonName + " filter: " + e.getMessage(), e);
            }
            LOG.log(System.Logger.Level.DEBUG, "seccomp {0} filter installed on thread {1}", category.jsonName, Thread.currentThread().getName());
        }
    }

    /** Whether {@link #enter} would install something for {@code category}. */
    public static synchronized boolean has(Category category) {
        return PENDING.containsKey(category);
    }
}
