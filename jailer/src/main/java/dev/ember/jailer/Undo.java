package dev.ember.jailer;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What the jailer has created so far, to be taken down in reverse order if a later step fails:
 * a failed start leaves no directories, device nodes or cgroups behind.
 */
final class Undo {
    private record Step(String what, Action action) {}

    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    private final Deque<Step> steps = new ArrayDeque<>();

    void push(String what, Action action) {
        steps.push(new Step(what, action));
    }

    /** Runs every step, most recent first; a step that fails is reported and the rest still run. */
    void runAll() {
        while (!steps.isEmpty()) {
            Step s = steps.pop();
            try {
                s.action().run();
            } catch (Exception e) {
                System.err.println("ember-jailer: cleanup: could not " + s.what() + ": " + e.getMessage());
            }
        }
    }

    /** Forgets everything: the jail is complete and belongs to the VMM now. */
    void clear() {
        steps.clear();
    }
}
