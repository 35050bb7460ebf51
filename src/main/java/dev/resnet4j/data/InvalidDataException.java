package dev.resnet4j.data;

import java.io.IOException;

/** A data file that cannot be used as it is; the message is one line naming the file and the fault. */
public class InvalidDataException extends IOException {
    public InvalidDataException(String message) {
        super(message);
    }

    public InvalidDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
