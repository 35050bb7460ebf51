package dev.resnet4j.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Cifar10DatasetTest {
    @TempDir
    Path dir;

    /** n random records; returns the file's bytes. */
    static byte[] records(int n, long seed) {
        byte[] b = new byte[n * Cifar10Dataset.RECORD];
        Random r = new Random(seed);
        r.nextBytes(b);
        for (int i = 0; i < n; i++) {
            b[i * Cifar10Dataset.RECORD] = (byte) r.nextInt(10);
        }
        return b;
    }

    @Test
    void parsesRecordsAcrossBatchFilesInOrder() throws IOException {
        byte[][] files = new byte[5][];
        for (int i = 0; i < 5; i++) {
            files[i] = records(3 + i, i);
            Files.write(dir.resolve(Cifar10Dataset.TRAIN_FILES.get(i)), files[i]);
        }
        Files.write(dir.resolve("test_batch.bin"), records(2, 9));
        Files.writeString(dir.resolve("batches.meta.txt"), "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n");
        Cifar10Dataset train = Cifar10Dataset.load(dir, true);
        assertEquals(3 + 4 + 5 + 6 + 7, train.size());
        assertEquals(List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"), train.classNames());
        assertEquals(3, train.channels());
        int k = 0;
        float[] img = new float[3 * 32 * 32];
        for (byte[] f : files) {
            for (int r = 0; r < f.length / Cifar10Dataset.RECORD; r++, k++) {
                int off = r * Cifar10Dataset.RECORD;
                assertEquals(f[off] & 0xff, train.label(k));
                train.get(k, img, 0);
                for (int p = 0; p < img.length; p++) {
                    assertEquals((f[off + 1 + p] & 0xff) / 255f, img[p]);
                }
            }
        }
        assertEquals(2, Cifar10Dataset.load(dir, false).size());
    }

    @Test
    void refusesLengthNotMultipleOfRecord() throws IOException {
        byte[] b = records(2, 1);
        Path f = dir.resolve("test_batch.bin");
        Files.write(f, java.util.Arrays.copyOf(b, b.length - 1));
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> Cifar10Dataset.load(dir, false));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("3073"), e.getMessage());
    }

    @Test
    void refusesLabelOutOfRange() throws IOException {
        byte[] b = records(2, 1);
        b[Cifar10Dataset.RECORD] = 10;
        Files.write(dir.resolve("test_batch.bin"), b);
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> Cifar10Dataset.load(dir, false));
        assertTrue(e.getMessage().contains("record 1"), e.getMessage());
    }
}
