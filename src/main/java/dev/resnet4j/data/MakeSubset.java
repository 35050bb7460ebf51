package dev.resnet4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;

/**
 * Writes the first N training and M test images (and labels) of an MNIST-style set as gzipped
 * IDX files with the official names. Run by {@code tools/make_subset.sh}.
 *
 * <p>Usage: {@code MakeSubset SOURCE_DIR TARGET_DIR [N_TRAIN N_TEST]}.
 */
public final class MakeSubset {
    private MakeSubset() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2 && args.length != 4) {
            System.err.println("usage: MakeSubset SOURCE_DIR TARGET_DIR [N_TRAIN N_TEST]");
            System.exit(2);
        }
        Path source = Paths.get(args[0]);
        Path target = Paths.get(args[1]);
        int nTrain = args.length == 4 ? Integer.parseInt(args[2]) : FashionMnist.SUBSET_TRAIN;
        int nTest = args.length == 4 ? Integer.parseInt(args[3]) : FashionMnist.SUBSET_TEST;
        write(source, target, true, nTrain);
        write(source, target, false, nTest);
        System.out.println("wrote " + nTrain + " training and " + nTest + " test images to " + target);
    }

    static void write(Path source, Path target, boolean train, int n) throws IOException {
        String imagesName = train ? MnistDataset.TRAIN_IMAGES : MnistDataset.TEST_IMAGES;
        String labelsName = train ? MnistDataset.TRAIN_LABELS : MnistDataset.TEST_LABELS;
        Idx.Images images = Idx.readImages(MnistDataset.find(source, imagesName));
        byte[] labels = Idx.readLabels(MnistDataset.find(source, labelsName));
        if (n > images.count() || n > labels.length) {
            throw new IllegalArgumentException("asked for " + n + " images but " + source + " has " + images.count());
        }
        int per = images.rows() * images.cols();
        Idx.writeImages(target.resolve(imagesName), Arrays.copyOf(images.pixels(), n * per), n, images.rows(), images.cols());
        Idx.writeLabels(target.resolve(labelsName), Arrays.copyOf(labels, n));
    }
}
