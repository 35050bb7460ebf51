package dev.resnet4j.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataSpecTest {
    @TempDir
    Path tmp;

    @Test
    void parsesEverySpecForm() {
        assertEquals(DataSpec.Kind.FASHION_MNIST, DataSpec.parse("fashion-mnist").kind());
        assertEquals(DataSpec.Kind.MNIST, DataSpec.parse("mnist").kind());
        assertEquals(DataSpec.Kind.FASHION_MNIST_SUBSET, DataSpec.parse("fashion-mnist-subset").kind());
        DataSpec c = DataSpec.parse("cifar10:/data/cifar");
        assertEquals(DataSpec.Kind.CIFAR10, c.kind());
        assertEquals(List.of(Paths.get("/data/cifar")), c.paths());
        assertEquals(List.of(Paths.get("imgs")), DataSpec.parse("folder:imgs").paths());
        assertEquals(List.of(Paths.get("X.npy"), Paths.get("y.npy")), DataSpec.parse("npy:X.npy,y.npy").paths());
        assertEquals(List.of(Paths.get("X.npy"), Paths.get("y.npy"), Paths.get("Xt.npy"), Paths.get("yt.npy")),
                DataSpec.parse("npy:X.npy,y.npy;Xt.npy,yt.npy").paths());
    }

    @Test
    void refusesMalformedSpecsWithAHint() {
        for (String bad : new String[] {"imagenet", "cifar10", "cifar10:", "folder:", "npy:X.npy", "npy:a,b;c",
                "npy:a,b;c,d;e,f", "mnist:/x"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataSpec.parse(bad), bad);
            assertFalse(e.getMessage().contains("\n"));
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DataSpec.parse("imagenet")).getMessage()
                .contains("cifar10:DIR"));
    }

    @Test
    void subsetHasTrainAndTest() throws IOException {
        DataSpec.Splits s = DataSpec.parse("fashion-mnist-subset").open(DataSpec.Options.defaults());
        assertEquals(FashionMnist.SUBSET_TRAIN, s.train().size());
        assertEquals(FashionMnist.SUBSET_TEST, s.test().size());
        assertEquals(Normalization.FASHION_MNIST, s.normalization());
    }

    @Test
    void fashionMnistIsFoundInTheDataDirFirst() throws IOException {
        MakeSubset.write(subsetDir(), tmp, true, 30);
        MakeSubset.write(subsetDir(), tmp, false, 20);
        DataSpec.Splits s = DataSpec.parse("fashion-mnist").open(DataSpec.Options.defaults().withDataDir(tmp).withDownload(false));
        assertEquals(30, s.train().size());
        assertEquals(20, s.test().size());
        assertEquals(Normalization.FASHION_MNIST, s.normalization());
    }

    /** The shipped subset as a directory, to make smaller sets from. */
    private Path subsetDir() throws IOException {
        Path dir = tmp.resolve("shipped");
        for (boolean train : new boolean[] {true, false}) {
            MnistDataset d = FashionMnist.subset(train);
            byte[] pixels = new byte[d.size() * 784];
            byte[] labels = new byte[d.size()];
            for (int i = 0; i < d.size(); i++) {
                for (int p = 0; p < 784; p++) {
                    pixels[i * 784 + p] = (byte) d.pixel(i, p);
                }
                labels[i] = (byte) d.label(i);
            }
            Idx.writeImages(dir.resolve(train ? MnistDataset.TRAIN_IMAGES : MnistDataset.TEST_IMAGES), pixels, d.size(), 28, 28);
            Idx.writeLabels(dir.resolve(train ? MnistDataset.TRAIN_LABELS : MnistDataset.TEST_LABELS), labels);
        }
        return dir;
    }

    @Test
    void folderUsesTrainAndTestSubFoldersWhenPresent() throws IOException {
        ImageFolderDatasetTest.png(tmp.resolve("f/train/a/1.png"), 4, 4, 0xffffff);
        ImageFolderDatasetTest.png(tmp.resolve("f/train/b/1.png"), 4, 4, 0);
        ImageFolderDatasetTest.png(tmp.resolve("f/test/a/1.png"), 4, 4, 0xffffff);
        ImageFolderDatasetTest.png(tmp.resolve("f/test/b/1.png"), 4, 4, 0);
        ImageFolderDatasetTest.png(tmp.resolve("f/test/b/2.png"), 4, 4, 0);
        DataSpec.Splits s = DataSpec.parse("folder:" + tmp.resolve("f")).open(DataSpec.Options.defaults().withImages(1, 8));
        assertEquals(2, s.train().size());
        assertEquals(3, s.test().size());
        assertEquals(8, s.train().height());
        assertEquals(1, s.train().channels());
        DataSpec.Splits plain = DataSpec.parse("folder:" + tmp.resolve("f/test")).open(DataSpec.Options.defaults());
        assertEquals(3, plain.train().size());
        assertNull(plain.test());
        assertEquals(Normalization.IMAGENET, plain.normalization());
    }
}
