package dev.resnet4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The CLI in a child JVM on the test classpath (not {@code ./resnet}, which rebuilds the jar),
 * for what an in-process run cannot show: a kill, a small heap, what reaches stderr.
 */
final class ChildCli {
    /** The JVM's notice about the Vector API module: the one stderr line that is not ours. */
    static final String INCUBATOR_NOTICE = "WARNING: Using incubator modules";

    private ChildCli() {
    }

    /** Starts {@code resnet ARGS} with extra JVM flags; stdout and stderr go to {@code log}. */
    static Process start(Path log, List<String> jvmFlags, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add("-Djava.awt.headless=true");
        cmd.addAll(jvmFlags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** What a finished child printed, and its exit code. */
    record Result(int exitCode, String output) {
        /** The output without the JVM's incubator notice. */
        List<String> lines() {
            return output.lines().filter(l -> !l.startsWith(INCUBATOR_NOTICE)).toList();
        }
    }

    /** Runs {@code resnet ARGS} to completion (at most two minutes). */
    static Result run(Path log, List<String> jvmFlags, String... args) throws IOException, InterruptedException {
        Process p = start(log, jvmFlags, args);
        try {
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                throw new AssertionError("resnet " + String.join(" ", args) + " did not finish in two minutes");
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
        }
    }
}
