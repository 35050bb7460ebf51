package dev.resnet4j.data;

import dev.resnet4j.io.Npy;
import dev.resnet4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Images and labels from two {@code .npy} files: X float32 N×C×H×W (or N×H×W, read as one
 * channel) and y int64 of length N. Values are used as stored, so X is expected in [0, 1]
 * like the other datasets' images; unlike them it is kept as floats, since that is what the
 * file holds. Class names are "0" … "K-1", K = largest label + 1 (or as given).
 */
public final class NpyDataset extends AbstractDataset {
    private final float[] images;
    private final int[] labels;

    private NpyDataset(float[] images, int[] labels, int channels, int height, int width, List<String> classNames) {
        super(labels.length, channels, height, width, classNames);
        this.images = images;
        this.labels = labels;
    }

    /** Loads X and y; the number of classes is the largest label + 1. */
    public static NpyDataset load(Path x, Path y) throws IOException {
        return load(x, y, 0);
    }

    /** Loads X and y with at least {@code minClasses} classes (so a test split can share the training set's count). */
    public static NpyDataset load(Path x, Path y, int minClasses) throws IOException {
        Tensor t = Npy.readFloat(x);
        long[] raw = Npy.readLongs(y);
        int[] shape = t.shape();
        if (shape.length != 3 && shape.length != 4) {
            throw new InvalidDataException(x + ": images must be N×C×H×W or N×H×W, got shape " + t.shapeString());
        }
        int n = shape[0];
        int c = shape.length == 4 ? shape[1] : 1;
        int h = shape[shape.length - 2];
        int w = shape[shape.length - 1];
        if (raw.length != n) {
            throw new InvalidDataException(y + ": " + raw.length + " labels for the " + n + " images of " + x);
        }
        if (n == 0 || c < 1 || h < 1 || w < 1) {
            throw new InvalidDataException(x + ": no images in shape " + t.shapeString());
        }
        int[] labels = new int[n];
        int max = -1;
        for (int i = 0; i < n; i++) {
            if (raw[i] < 0 || raw[i] > 65535) {
                throw new InvalidDataException(y + ": label " + raw[i] + " at index " + i + " is not a class index (0..65535)");
            }
            labels[i] = (int) raw[i];
            max = Math.max(max, labels[i]);
        }
        List<String> names = new ArrayList<>();
        for (int k = 0; k < Math.max(max + 1, minClasses); k++) {
            names.add(Integer.toString(k));
        }
        return new NpyDataset(t.data(), labels, c, h, w, names);
    }

    @Override
    public void get(int index, float[] dst, int dstOff) {
        int n = imageSize();
        System.arraycopy(images, checkIndex(index) * n, dst, dstOff, n);
    }

    @Override
    public int label(int index) {
        return labels[checkIndex(index)];
    }
}
