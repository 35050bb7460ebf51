package dev.resnet4j.data;

import java.util.List;

/** What every in-memory dataset shares: the image geometry, the class names and index checks. */
public abstract class AbstractDataset implements Dataset {
    private final int count;
    private final int channels;
    private final int height;
    private final int width;
    private final List<String> classNames;

    protected AbstractDataset(int count, int channels, int height, int width, List<String> classNames) {
        if (channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("image size must be positive, got " + channels + "x" + height + "x" + width);
        }
        this.count = count;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.classNames = List.copyOf(classNames);
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public int height() {
        return height;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public int numClasses() {
        return classNames.size();
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    /** Returns {@code index} if it names an image, else throws. */
    protected final int checkIndex(int index) {
        if (index < 0 || index >= count) {
            throw new IndexOutOfBoundsException("image " + index + " of a dataset of " + count);
        }
        return index;
    }
}
