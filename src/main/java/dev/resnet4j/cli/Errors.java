package dev.resnet4j.cli;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/** Turns exceptions into the one-line messages and exit codes the CLI promises. */
final class Errors {
    private Errors() {
    }

    static String describe(Throwable ex) {
        Throwable t = ex instanceof UncheckedIOException u && u.getCause() != null ? u.getCause() : ex;
        if (t instanceof NoSuchFileException || t instanceof FileNotFoundException) {
            return "no such file: " + t.getMessage();
        }
        if (t instanceof AccessDeniedException) {
            return "permission denied: " + t.getMessage();
        }
        if (t instanceof OutOfMemoryError) {
            return "out of memory: use a smaller --batch-size or give the JVM more heap (JAVA_OPTS=-Xmx8g)";
        }
        String msg = t.getMessage();
        if (msg == null || msg.isBlank()) {
            msg = t.getClass().getSimpleName();
        }
        return msg.lines().findFirst().orElse(msg) + (t instanceof IOException || t instanceof IllegalArgumentException
                || t instanceof IllegalStateException ? "" : " (" + t.getClass().getSimpleName() + "; --verbose shows where)");
    }

    static int exitCode(Throwable ex) {
        return ex instanceof IllegalArgumentException ? 2 : 1;
    }
}
