package dev.ember.jailer;

import picocli.CommandLine;

/** {@code ember-jailer}: see {@link JailerCommand} for the options and docs/jailer.md for the steps. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        int status = run(args);
        System.out.flush();
        System.err.flush();
        // halt, not exit: after --new-pid-ns the main thread can start no thread, and shutdown
        // hooks are threads. The jailer registers none of its own.
        Runtime.getRuntime().halt(status);
    }

    static int run(String[] args) {
        JailerCommand command = new JailerCommand();
        CommandLine cli = new CommandLine(command);
        try {
            CommandLine.ParseResult parsed = cli.parseArgs(args);
            if (CommandLine.printHelpIfRequested(parsed)) {
                return 0;
            }
            JailConfig config = command.toConfig();
            return new Jail(config).run();
        } catch (CommandLine.ParameterException e) {
            System.err.println("ember-jailer: " + e.getMessage());
            System.err.println("Try 'ember-jailer --help'.");
            return 2;
        } catch (JailerException e) {
            System.err.println("ember-jailer: " + e.getMessage());
            return e.isUsage() ? 2 : 1;
        } catch (RuntimeException | Error e) {
            StringBuilder why = new StringBuilder(e.toString());
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                why.append("; caused by ").append(c);
            }
            System.err.println("ember-jailer: internal error: " + why);
            return 1;
        }
    }
}
