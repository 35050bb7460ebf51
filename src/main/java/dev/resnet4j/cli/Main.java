package dev.resnet4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

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
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (verbose) {
                ex.printStackTrace(err);
            } else {
                err.println("resnet " + cmd.getCommandName() + ": " + Errors.describe(ex));
            }
            err.flush();
            return Errors.exitCode(ex);
        });
        return cli.execute(args);
    }
}
