package dev.resnet4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

/**
 * The CLI's dataset SPEC, parsed:
 * <ul>
 *   <li>{@code fashion-mnist}, {@code mnist}: located by {@link DatasetLocator} (data dir, cache,
 *       {@code /usr/share/datasets}, download); train and test splits;</li>
 *   <li>{@code fashion-mnist-subset}: the 2,000/1,000-image subset shipped in the jar;</li>
 *   <li>{@code cifar10:DIR}: the binary version in DIR; train and test splits;</li>
 *   <li>{@code folder:DIR}: {@code DIR/train} and {@code DIR/test} if DIR has a {@code train}
 *       sub-directory, else DIR itself is the training set (no test split);</li>
 *   <li>{@code npy:X.npy,y.npy} or {@code npy:X.npy,y.npy;Xtest.npy,ytest.npy}: float32 NCHW
 *       images and int64 labels.</li>
 * </ul>
 */
public record DataSpec(Kind kind, String text, List<Path> paths) {
    public enum Kind { FASHION_MNIST, FASHION_MNIST_SUBSET, MNIST, CIFAR10, FOLDER, NPY }

    /** What a spec does not say: where to look, whether to download, the size images get in a folder dataset. */
    public record Options(Path dataDir, boolean allowDownload, int channels, int imageSize) {
        public static Options defaults() {
            return new Options(null, true, 3, 224);
        }

        public Options withDataDir(Path dir) {
            return new Options(dir, allowDownload, channels, imageSize);
        }

        public Options withDownload(boolean allow) {
            return new Options(dataDir, allow, channels, imageSize);
        }

        /** Channels and side of the images a {@code folder:} dataset is converted to. */
        public Options withImages(int newChannels, int newSize) {
            return new Options(dataDir, allowDownload, newChannels, newSize);
        }
    }

    /** The loaded data: a training set, a test set if the data has one (else null), and its default normalisation. */
    public record Splits(Dataset train, Dataset test, Normalization normalization) {
        public boolean hasTest() {
            return test != null;
        }
    }

    public static DataSpec parse(String spec) {
        String s = spec.strip();
        int colon = s.indexOf(':');
        String head = colon < 0 ? s : s.substring(0, colon);
        String rest = colon < 0 ? "" : s.substring(colon + 1);
        switch (head) {
            case "fashion-mnist", "fashion_mnist", "fashionmnist":
                return noArgument(Kind.FASHION_MNIST, s, rest);
            case "fashion-mnist-subset":
                return noArgument(Kind.FASHION_MNIST_SUBSET, s, rest);
            case "mnist":
                return noArgument(Kind.MNIST, s, rest);
            case "cifar10", "cifar-10":
                return new DataSpec(Kind.CIFAR10, s, List.of(path(s, rest)));
            case "folder":
                return new DataSpec(Kind.FOLDER, s, List.of(path(s, rest)));
            case "npy":
                return npy(s, rest);
            default:
                throw new IllegalArgumentException("unknown dataset '" + spec + "': expected fashion-mnist, "
                        + "fashion-mnist-subset, mnist, cifar10:DIR, folder:DIR or npy:X.npy,y.npy[;Xtest.npy,ytest.npy]");
        }
    }

    private static DataSpec noArgument(Kind kind, String s, String rest) {
        if (!rest.isEmpty()) {
            throw new IllegalArgumentException("dataset '" + s + "' takes no argument; use --data-dir for its location");
        }
        return new DataSpec(kind, s, List.of());
    }

    private static Path path(String s, String rest) {
        if (rest.isBlank()) {
            throw new IllegalArgumentException("dataset '" + s + "' needs a directory, e.g. " + s.replace(":", "") + ":/path/to/data");
        }
        return Paths.get(rest);
    }

    private static DataSpec npy(String s, String rest) {
        String[] splits = rest.split(";", -1);
        if (splits.length > 2) {
            throw new IllegalArgumentException("dataset '" + s + "': expected npy:X.npy,y.npy or npy:X.npy,y.npy;Xtest.npy,ytest.npy");
        }
        List<Path> paths = new java.util.ArrayList<>();
        for (String split : splits) {
            String[] xy = split.split(",", -1);
            if (xy.length != 2 || xy[0].isBlank() || xy[1].isBlank()) {
                throw new IllegalArgumentException("dataset '" + s + "': '" + split + "' is not X.npy,y.npy");
            }
            paths.add(Paths.get(xy[0].strip()));
            paths.add(Paths.get(xy[1].strip()));
        }
        return new DataSpec(Kind.NPY, s, List.copyOf(paths));
    }

    /** Loads the splits. */
    public Splits open(Options options) throws IOException {
        switch (kind) {
            case FASHION_MNIST:
            case MNIST: {
                MnistDataset.Variant v = kind == Kind.MNIST ? MnistDataset.Variant.MNIST : MnistDataset.Variant.FASHION_MNIST;
                Path dir = DatasetLocator.standard(v).withDownload(options.allowDownload()).locate(options.dataDir());
                return new Splits(MnistDataset.load(dir, true, v), MnistDataset.load(dir, false, v), v.normalization);
            }
            case FASHION_MNIST_SUBSET:
                return new Splits(FashionMnist.subset(true), FashionMnist.subset(false), Normalization.FASHION_MNIST);
            case CIFAR10:
                return new Splits(Cifar10Dataset.load(paths.get(0), true), Cifar10Dataset.load(paths.get(0), false),
                        Normalization.CIFAR10);
            case FOLDER: {
                Path dir = paths.get(0);
                int c = options.channels();
                int size = options.imageSize();
                Normalization norm = c == 3 ? Normalization.IMAGENET : Normalization.IMAGENET_GRAY;
                if (Files.isDirectory(dir.resolve("train"))) {
                    Dataset test = Files.isDirectory(dir.resolve("test"))
                            ? ImageFolderDataset.load(dir.resolve("test"), c, size, size) : null;
                    return new Splits(ImageFolderDataset.load(dir.resolve("train"), c, size, size), test, norm);
                }
                return new Splits(ImageFolderDataset.load(dir, c, size, size), null, norm);
            }
            case NPY:
                return openNpy();
            default:
                throw new AssertionError(kind);
        }
    }

    private Splits openNpy() throws IOException {
        if (paths.size() == 2) {
            return new Splits(NpyDataset.load(paths.get(0), paths.get(1)), null, Normalization.NONE);
        }
        NpyDataset train = NpyDataset.load(paths.get(0), paths.get(1));
        NpyDataset test = NpyDataset.load(paths.get(2), paths.get(3), train.numClasses());
        if (test.channels() != train.channels() || test.height() != train.height() || test.width() != train.width()) {
            throw new InvalidDataException(paths.get(2) + ": test images are " + test.channels() + "x" + test.height()
                    + "x" + test.width() + " but training images (" + paths.get(0) + ") are " + train.channels()
                    + "x" + train.height() + "x" + train.width());
        }
        if (test.numClasses() > train.numClasses()) {
            throw new InvalidDataException(paths.get(3) + ": test labels reach " + (test.numClasses() - 1)
                    + " but the training labels (" + paths.get(1) + ") only reach " + (train.numClasses() - 1));
        }
        return new Splits(train, test, Normalization.NONE);
    }
}
