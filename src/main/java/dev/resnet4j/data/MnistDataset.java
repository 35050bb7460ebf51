package dev.resnet4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** MNIST or Fashion-MNIST from the four official IDX files: 1×28×28 grayscale, 10 classes. */
public final class MnistDataset extends ByteImageDataset {

    /** The two datasets sharing the IDX layout: file names, checksums, mirrors and statistics. */
    public enum Variant {
        MNIST("mnist", List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
                List.of("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
                Map.of(TRAIN_IMAGES, "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                        TRAIN_LABELS, "d53e105ee54ea40749a09fcbcd1e9432",
                        TEST_IMAGES, "9fb629c4189551a2d022fa330f9573f3",
                        TEST_LABELS, "ec29112dd5afa0611ce80d1b7f02629c"),
                null, Normalization.MNIST),
        FASHION_MNIST("fashion-mnist", List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                "Shirt", "Sneaker", "Bag", "Ankle boot"),
                List.of("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
                Map.of(TRAIN_IMAGES, "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                        TRAIN_LABELS, "25c81989df183df01b3e8a0aad5dffbe",
                        TEST_IMAGES, "bef4ecab320f06d8554ea6380940ec79",
                        TEST_LABELS, "bb300cfdad3c16e7a12a480ee83cd310"),
                "dataset-fashion-mnist", Normalization.FASHION_MNIST);

        /** Name used in specs and directory names, e.g. {@code fashion-mnist}. */
        public final String id;
        public final List<String> classNames;
        /** Base URLs tried in order; each file is {@code base + fileName}. */
        public final List<String> mirrors;
        /** MD5 of each official (gzipped) file, as published with the dataset. */
        public final Map<String, String> md5;
        /** Debian package that installs the files under {@code /usr/share/datasets/ID}, or null. */
        public final String debianPackage;
        public final Normalization normalization;

        Variant(String id, List<String> classNames, List<String> mirrors, Map<String, String> md5,
                String debianPackage, Normalization normalization) {
            this.id = id;
            this.classNames = classNames;
            this.mirrors = mirrors;
            this.md5 = md5;
            this.debianPackage = debianPackage;
            this.normalization = normalization;
        }
    }

    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte.gz";
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte.gz";
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte.gz";
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte.gz";
    public static final List<String> FILES = List.of(TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS);

    private MnistDataset(Idx.Images images, byte[] labels, List<String> classNames) {
        super(images.pixels(), labels, 1, images.rows(), images.cols(), classNames);
    }

    /**
     * Loads the train or test split from {@code dir}, which holds the four files gzipped
     * (official names) or not (the same names without {@code .gz}).
     */
    public static MnistDataset load(Path dir, boolean train, Variant variant) throws IOException {
        Path images = resolve(dir, train ? TRAIN_IMAGES : TEST_IMAGES);
        Path labels = resolve(dir, train ? TRAIN_LABELS : TEST_LABELS);
        return of(Idx.readImages(images), images.toString(), Idx.readLabels(labels), labels.toString(), variant);
    }

    /** Loads a split from a classpath directory such as {@code /dev/resnet4j/data/fashion-mnist-subset/}. */
    static MnistDataset loadResource(String dir, boolean train, Variant variant) throws IOException {
        String images = dir + (train ? TRAIN_IMAGES : TEST_IMAGES);
        String labels = dir + (train ? TRAIN_LABELS : TEST_LABELS);
        try (InputStream im = resource(images); InputStream lb = resource(labels)) {
            return of(Idx.readImages(im, "classpath:" + images, -1), "classpath:" + images,
                    Idx.readLabels(lb, "classpath:" + labels, -1), "classpath:" + labels, variant);
        }
    }

    /** The file for an official name, accepting the uncompressed variant; null if neither exists. */
    static Path find(Path dir, String gzName) {
        Path gz = dir.resolve(gzName);
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        Path plain = dir.resolve(gzName.substring(0, gzName.length() - 3));
        return Files.isRegularFile(plain) ? plain : null;
    }

    private static Path resolve(Path dir, String gzName) throws IOException {
        Path p = find(dir, gzName);
        if (p == null) {
            throw new java.nio.file.NoSuchFileException(dir.resolve(gzName) + " (nor its uncompressed form)");
        }
        return p;
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = MnistDataset.class.getResourceAsStream(name);
        if (in == null) {
            throw new java.io.FileNotFoundException("classpath resource " + name + " is missing from the build");
        }
        return in;
    }

    private static MnistDataset of(Idx.Images images, String imagesName, byte[] labels, String labelsName,
                                   Variant variant) throws InvalidDataException {
        if (images.count() != labels.length) {
            throw new InvalidDataException(imagesName + " holds " + images.count() + " images but " + labelsName
                    + " holds " + labels.length + " labels");
        }
        for (int i = 0; i < labels.length; i++) {
            if ((labels[i] & 0xff) >= variant.classNames.size()) {
                throw new InvalidDataException(labelsName + ": label " + (labels[i] & 0xff) + " at index " + i
                        + " is not below the " + variant.classNames.size() + " classes of " + variant.id);
            }
        }
        return new MnistDataset(images, labels, variant.classNames);
    }
}
