package dev.resnet4j.cli;

import dev.resnet4j.tensor.Parallel;
import picocli.CommandLine.Option;

/** Options every command accepts. */
final class CommonOptions {
    @Option(names = "--verbose", description = "Show stack traces on errors.")
    boolean verbose;

    @Option(names = "--threads", description = "Worker threads for the kernels (default: all cores).")
    Integer threads;

    void apply() {
        if (threads != null) {
            Parallel.setThreads(threads);
        }
    }
}
