package dev.resnet4j.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CIFAR-10, binary version: {@code data_batch_1.bin} … {@code data_batch_5.bin} and
 * {@code test_batch.bin}, each a sequence of 3073-byte records (one label byte, then 3×32×32
 * pixels, channel-major: the red plane, the green plane, the blue plane). Class names come from
 * {@code batches.meta.txt} when present.
 */
public final class Cifar10Dataset extends ByteImageDataset {
    public static final int SIDE = 32;
    public static final int RECORD = 1 + 3 * SIDE * SIDE;
    public static final List<String> CLASS_NAMES = List.of("airplane", "automobile", "bird", "cat", "deer",
            "dog", "frog", "horse", "ship", "truck");
    public static final List<String> TRAIN_FILES = List.of("data_batch_1.bin", "data_batch_2.bin",
            "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
    public static final List<String> TEST_FILES = List.of("test_batch.bin");

    private Cifar10Dataset(byte[] pixels, byte[] labels, List<String> classNames) {
        super(pixels, labels, 3, SIDE, SIDE, classNames);
    }

    /**
     * Loads the train or test split from {@code dir}, or from {@code dir/cifar-10-batches-bin}
     * (where the official archive unpacks).
     */
    public static Cifar10Dataset load(Path dir, boolean train) throws IOException {
        Path base = Files.isRegularFile(dir.resolve(TEST_FILES.get(0))) || !Files.isDirectory(dir.resolve("cifar-10-batches-bin"))
                ? dir : dir.resolve("cifar-10-batches-bin");
        List<Path> files = new ArrayList<>();
        for (String f : train ? TRAIN_FILES : TEST_FILES) {
            Path p = base.resolve(f);
            if (!Files.isRegularFile(p)) {
                throw new NoSuchFileException(p + " (CIFAR-10 binary version: get cifar-10-binary.tar.gz from "
                        + "https://www.cs.toronto.edu/~kriz/cifar.html and unpack it)");
            }
            files.add(p);
        }
        return load(files, classNames(base));
    }

    /** Loads and concatenates the given batch files. */
    public static Cifar10Dataset load(List<Path> files, List<String> classNames) throws IOException {
        long records = 0;
        for (Path f : files) {
            long size = Files.size(f);
            if (size == 0 || size % RECORD != 0) {
                throw new InvalidDataException(f + ": length " + size + " is not a positive multiple of the "
                        + RECORD + "-byte CIFAR-10 record");
            }
            records += size / RECORD;
        }
        if (records * (RECORD - 1) > Integer.MAX_VALUE - 8) {
            throw new InvalidDataException(files + ": " + records + " records are more than one array can hold");
        }
        byte[] pixels = new byte[(int) records * (RECORD - 1)];
        byte[] labels = new byte[(int) records];
        int n = 0;
        for (Path f : files) {
            byte[] data = Files.readAllBytes(f);
            for (int off = 0; off < data.length; off += RECORD, n++) {
                int label = data[off] & 0xff;
                if (label >= classNames.size()) {
                    throw new InvalidDataException(f + ": record " + off / RECORD + " has label " + label
                            + ", not below the " + classNames.size() + " classes");
                }
                labels[n] = (byte) label;
                System.arraycopy(data, off + 1, pixels, n * (RECORD - 1), RECORD - 1);
            }
        }
        return new Cifar10Dataset(pixels, labels, classNames);
    }

    /** Names from {@code batches.meta.txt} (one per non-blank line), else the standard ten. */
    static List<String> classNames(Path dir) throws IOException {
        Path meta = dir.resolve("batches.meta.txt");
        if (!Files.isRegularFile(meta)) {
            return CLASS_NAMES;
        }
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(meta, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                names.add(line.strip());
            }
        }
        if (names.size() != CLASS_NAMES.size()) {
            throw new InvalidDataException(meta + ": " + names.size() + " class names, CIFAR-10 has " + CLASS_NAMES.size());
        }
        return names;
    }
}
