package dev.resnet4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.List;

/**
 * The {@code resnet} command. Every failure the user can cause ends as one line on stderr
 * naming the file, key or shape at fault and a non-zero exit; a stack trace only with
 * {@code --verbose}.
 */
@Command(name = "resnet", mixinStandardHelpOptions = true, version = "resnet4j 0.1.0",
        description = "ResNets in pure Java: build, train, fine-tune and run them; exchange weights with PyTorch.",
        subcommands = {SummaryCommand.class, InitCommand.class, InferCommand.class, PredictCommand.class,
                TrainCommand.class, EvalCommand.class, DemoCommand.class, ExplainCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit code (used by tests without exiting the JVM). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> report(cmd.getErr(), cmd.getCommandName(), ex, verbose));
        cli.setParameterExceptionHandler(Main::usageError);
        try {
            return cli.execute(args);
        } catch (Throwable t) {
            // picocli hands Errors (OutOfMemoryError, StackOverflowError) straight through: they
            // get the same one-line treatment, so a batch that does not fit ends with advice.
            return report(cli.getErr(), commandName(cli, args), t, verbose);
        }
    }

    private static int report(PrintWriter err, String command, Throwable ex, boolean verbose) {
        if (verbose) {
            ex.printStackTrace(err);
        } else {
            err.println("resnet " + command + ": " + Errors.describe(ex));
        }
        err.flush();
        return Errors.exitCode(ex);
    }

    /**
     * A wrong option or argument: one line with picocli's message (and its suggestion for a
     * misspelling) and where to read more, instead of the whole usage text; exit 2. Plain
     * {@code resnet} with nothing else still shows the usage.
     */
    private static int usageError(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        String name = cmd.getCommandSpec().qualifiedName();
        if (args.length == 0) {
            err.println(ex.getMessage());
            cmd.usage(err);
        } else {
            String message = ex.getMessage() == null ? "invalid input" : ex.getMessage().lines().findFirst().orElse("");
            List<String> suggestions = ex instanceof CommandLine.UnmatchedArgumentException u ? u.getSuggestions() : List.of();
            err.println(name + ": " + message + (suggestions.isEmpty() ? "" : "; did you mean " + String.join(" or ", suggestions) + "?")
                    + " (see " + name + " --help)");
        }
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    private static String commandName(CommandLine cli, String[] args) {
        for (String a : args) {
            if (cli.getSubcommands().containsKey(a)) {
                return a;
            }
        }
        return cli.getCommandName();
    }
}
