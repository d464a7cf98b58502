package dev.ember.cli;

import dev.ember.vm.ExitCode;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The picocli side of {@link Main}: help, version and every command line {@link OrdinaryArgs}
 * leaves to it. Kept apart so that a run that never needs picocli never loads its classes (not
 * even to verify {@code Main}).
 */
final class PicocliRun {
    private PicocliRun() {}

    static int run(String[] args, Main main) {
        CommandLine cli = new CommandLine(main);
        cli.setParameterExceptionHandler((ex, a) -> {
            System.err.println("ember: " + ex.getMessage());
            System.err.println("Try 'ember --help' for more information.");
            return ExitCode.ARG_PARSING.code();
        });
        cli.setExecutionExceptionHandler((ex, c, parsed) -> Main.internalError(ex));
        return cli.execute(args);
    }

    /** A usage mistake found after parsing, reported as picocli reports its own. */
    static RuntimeException usageError(CommandSpec spec, String problem) {
        return new CommandLine.ParameterException(spec.commandLine(), problem);
    }
}
