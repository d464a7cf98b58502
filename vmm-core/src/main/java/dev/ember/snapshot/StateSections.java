package dev.ember.snapshot;

import java.util.LinkedHashMap;
import java.util.Map;

/** The named sections of one state file, as written or as read back. */
public final class StateSections {
    private final String source;
    private final Map<String, byte[]> sections;

    public StateSections() {
        this("new snapshot", new LinkedHashMap<>());
    }

    public StateSections(String source, Map<String, byte[]> sections) {
        this.source = source;
        this.sections = sections;
    }

    public void put(String name, byte[] data) {
        if (sections.putIfAbsent(name, data) != null) {
            throw new IllegalArgumentException("state section '" + name + "' written twice");
        }
    }

    public void put(String name, StateWriter w) {
        put(name, w.toByteArray());
    }

    /** Saves {@code component} into a section of its own. */
    public void put(String name, Snapshottable component) {
        StateWriter w = new StateWriter();
        component.saveState(w);
        put(name, w);
    }

    public boolean has(String name) {
        return sections.containsKey(name);
    }

    /** @throws SnapshotFormatException if the file has no such section */
    public byte[] get(String name) {
        byte[] b = sections.get(name);
        if (b == null) {
            throw new SnapshotFormatException("snapshot state " + source + " has no '" + name + "' section");
        }
        return b;
    }

    public StateReader reader(String name) {
        return new StateReader(name, get(name));
    }

    /** Restores {@code component} from its section and checks nothing was left unread. */
    public void restore(String name, Snapshottable component) {
        StateReader r = reader(name);
        component.restoreState(r);
        r.end();
    }

    public Map<String, byte[]> asMap() {
        return sections;
    }

    public static StateSections read(java.nio.file.Path path) {
        return new StateSections(path.toString(), StateFile.read(path));
    }

    public void write(java.nio.file.Path path) {
        StateFile.write(path, sections);
    }
}
