package dev.ember.jailer;

import picocli.CommandLine;

/** The command line through picocli: help, version and every mistake (kept apart so the ordinary start does not load picocli). */
final class PicocliJailer {
    /** A command line picocli refused; the message says what is wrong. */
    static final class UsageError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageError(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private PicocliJailer() {}

    /** The parsed command, or null when help or the version was asked for and has been printed. */
    static JailerCommand parse(String[] args) {
        JailerCommand command = new JailerCommand();
        CommandLine cli = new CommandLine(command);
        try {
            CommandLine.ParseResult parsed = cli.parseArgs(args);
            if (CommandLine.printHelpIfRequested(parsed)) {
                return null;
            }
            return command;
        } catch (CommandLine.ParameterException e) {
            throw new UsageError(e.getMessage(), e);
        }
    }
}
