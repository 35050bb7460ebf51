package dev.resnet4j.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A write that fails half-way leaves neither a partial target nor its temporary file. */
class AtomicWriteFailureTest {
    @TempDir
    Path dir;

    @Test
    void failureMidWriteLeavesNothingAndKeepsTheOldFile() throws Exception {
        Path target = dir.resolve("out.npy");
        AtomicFiles.Writer failing = out -> {
            out.write(new byte[100_000]); // more than the buffer: some bytes reach the temporary file
            throw new IOException("disk full (simulated)");
        };
        assertThrows(IOException.class, () -> AtomicFiles.write(target, failing));
        assertFalse(Files.exists(target));
        assertEquals(List.of(), names());

        AtomicFiles.write(target, "old".getBytes(StandardCharsets.UTF_8));
        assertThrows(IOException.class, () -> AtomicFiles.write(target, failing));
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("out.npy"), names());
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
