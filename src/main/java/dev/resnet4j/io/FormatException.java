package dev.resnet4j.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that is not a well-formed instance of its format, or that asks for something a
 * state-dict loader refuses to do (an unknown pickle global, an oversized header, ...).
 *
 * <p>Every message is one line, {@code <file>: <fault>}, so a user sees at once which file
 * is wrong and why; no loader ever reports a refusal through another exception type.
 */
public class FormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public FormatException(String source, String fault) {
        super(source + ": " + oneLine(fault));
    }

    public FormatException(String source, String fault, Throwable cause) {
        super(source + ": " + oneLine(fault), cause);
    }

    /** The name used in messages: the file name alone, as a user would recognise it. */
    static String nameOf(Path file) {
        Path name = file.getFileName();
        return name == null ? file.toString() : name.toString();
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ').replace('\r', ' ');
    }
}
