package dev.resnet4j.data;

import dev.resnet4j.io.Npy;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyDatasetTest {
    @TempDir
    Path tmp;

    static Tensor randomImages(long seed, int... shape) {
        Tensor t = Tensor.zeros(shape);
        Random r = new Random(seed);
        for (int i = 0; i < t.size(); i++) {
            t.data()[i] = r.nextFloat();
        }
        return t;
    }

    @Test
    void readsImagesAndLabels() throws IOException {
        Tensor x = randomImages(1, 5, 2, 3, 4);
        long[] y = {0, 3, 1, 3, 2};
        Npy.write(x, tmp.resolve("X.npy"));
        Npy.writeLongs(y, new int[] {5}, tmp.resolve("y.npy"));
        NpyDataset d = NpyDataset.load(tmp.resolve("X.npy"), tmp.resolve("y.npy"));
        assertEquals(5, d.size());
        assertEquals(2, d.channels());
        assertEquals(3, d.height());
        assertEquals(4, d.width());
        assertEquals(4, d.numClasses());
        float[] img = new float[24];
        for (int i = 0; i < 5; i++) {
            d.get(i, img, 0);
            assertArrayEquals(Arrays.copyOfRange(x.data(), i * 24, i * 24 + 24), img);
            assertEquals(y[i], d.label(i));
        }
    }

    @Test
    void specWithTestSplitSharesTheClassCount() throws IOException {
        Npy.write(randomImages(2, 4, 6, 6), tmp.resolve("X.npy"));
        Npy.writeLongs(new long[] {0, 1, 2, 5}, new int[] {4}, tmp.resolve("y.npy"));
        Npy.write(randomImages(3, 2, 6, 6), tmp.resolve("Xt.npy"));
        Npy.writeLongs(new long[] {1, 0}, new int[] {2}, tmp.resolve("yt.npy"));
        DataSpec.Splits s = DataSpec.parse("npy:" + tmp.resolve("X.npy") + "," + tmp.resolve("y.npy") + ";"
                + tmp.resolve("Xt.npy") + "," + tmp.resolve("yt.npy")).open(DataSpec.Options.defaults());
        assertEquals(1, s.train().channels());
        assertEquals(2, s.test().size());
        assertEquals(s.train().numClasses(), s.test().numClasses());
        assertEquals(Normalization.NONE, s.normalization());
    }

    @Test
    void refusesMismatchedCountsAndBadLabels() throws IOException {
        Npy.write(randomImages(4, 3, 1, 2, 2), tmp.resolve("X.npy"));
        Npy.writeLongs(new long[] {0, 1}, new int[] {2}, tmp.resolve("y.npy"));
        InvalidDataException e = assertThrows(InvalidDataException.class,
                () -> NpyDataset.load(tmp.resolve("X.npy"), tmp.resolve("y.npy")));
        assertTrue(e.getMessage().contains("y.npy"), e.getMessage());
        Npy.writeLongs(new long[] {0, -1, 1}, new int[] {3}, tmp.resolve("y.npy"));
        assertThrows(InvalidDataException.class, () -> NpyDataset.load(tmp.resolve("X.npy"), tmp.resolve("y.npy")));
        Npy.write(randomImages(5, 3, 4), tmp.resolve("flat.npy"));
        Npy.writeLongs(new long[] {0, 1, 2}, new int[] {3}, tmp.resolve("y.npy"));
        assertThrows(InvalidDataException.class, () -> NpyDataset.load(tmp.resolve("flat.npy"), tmp.resolve("y.npy")));
    }
}
