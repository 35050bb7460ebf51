package dev.resnet4j.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class MnistDatasetTest {
    static final Path DEBIAN = Paths.get("/usr/share/datasets/fashion-mnist");

    @TempDir
    Path dir;

    static int[] histogram(Dataset d) {
        int[] h = new int[d.numClasses()];
        for (int i = 0; i < d.size(); i++) {
            h[d.label(i)]++;
        }
        return h;
    }

    @Test
    void subsetLoadsWithTheRightCountsAndEveryClass() throws IOException {
        MnistDataset train = FashionMnist.subset(true);
        MnistDataset test = FashionMnist.subset(false);
        assertEquals(FashionMnist.SUBSET_TRAIN, train.size());
        assertEquals(FashionMnist.SUBSET_TEST, test.size());
        assertEquals(1, train.channels());
        assertEquals(28, train.height());
        assertEquals(28, train.width());
        assertEquals(MnistDataset.Variant.FASHION_MNIST.classNames, train.classNames());
        for (Dataset d : new Dataset[] {train, test}) {
            int[] h = histogram(d);
            // roughly balanced like the full set: every class present, none dominating
            for (int c : h) {
                assertTrue(c > d.size() / 20 && c < d.size() / 5, Arrays.toString(h));
            }
        }
        float[] img = new float[784];
        train.get(0, img, 0);
        float min = 1, max = 0;
        for (float v : img) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(min >= 0 && max <= 1 && max > min);
    }

    @Test
    void subsetIsThePrefixOfTheFullSet() throws IOException {
        assumeTrue(Files.isDirectory(DEBIAN), "Debian's dataset-fashion-mnist is not installed");
        for (boolean train : new boolean[] {true, false}) {
            MnistDataset full = MnistDataset.load(DEBIAN, train, MnistDataset.Variant.FASHION_MNIST);
            MnistDataset sub = FashionMnist.subset(train);
            assertEquals(train ? 60000 : 10000, full.size());
            float[] a = new float[784];
            float[] b = new float[784];
            for (int i = 0; i < sub.size(); i++) {
                assertEquals(full.label(i), sub.label(i));
                full.get(i, a, 0);
                sub.get(i, b, 0);
                assertArrayEquals(a, b);
            }
        }
    }

    @Test
    void refusesImageAndLabelCountMismatch() throws IOException {
        Idx.writeImages(dir.resolve(MnistDataset.TRAIN_IMAGES), new byte[3 * 4], 3, 2, 2);
        Idx.writeLabels(dir.resolve(MnistDataset.TRAIN_LABELS), new byte[] {1, 2});
        InvalidDataException e = assertThrows(InvalidDataException.class,
                () -> MnistDataset.load(dir, true, MnistDataset.Variant.MNIST));
        assertTrue(e.getMessage().contains(MnistDataset.TRAIN_LABELS), e.getMessage());
    }

    @Test
    void refusesLabelsOutOfRange() throws IOException {
        Idx.writeImages(dir.resolve("t10k-images-idx3-ubyte"), new byte[2 * 4], 2, 2, 2);
        Idx.writeLabels(dir.resolve("t10k-labels-idx1-ubyte"), new byte[] {1, 10});
        InvalidDataException e = assertThrows(InvalidDataException.class,
                () -> MnistDataset.load(dir, false, MnistDataset.Variant.MNIST));
        assertTrue(e.getMessage().contains("label 10"), e.getMessage());
    }
}
