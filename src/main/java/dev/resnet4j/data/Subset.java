package dev.resnet4j.data;

import java.util.List;

/** The first {@code n} items of another dataset (a view, nothing copied). */
public final class Subset implements Dataset {
    private final Dataset base;
    private final int n;

    public Subset(Dataset base, int n) {
        this.base = base;
        this.n = Math.max(0, Math.min(n, base.size()));
    }

    @Override
    public int size() {
        return n;
    }

    @Override
    public int channels() {
        return base.channels();
    }

    @Override
    public int height() {
        return base.height();
    }

    @Override
    public int width() {
        return base.width();
    }

    @Override
    public int numClasses() {
        return base.numClasses();
    }

    @Override
    public List<String> classNames() {
        return base.classNames();
    }

    @Override
    public void get(int index, float[] dst, int dstOff) {
        base.get(check(index), dst, dstOff);
    }

    @Override
    public int label(int index) {
        return base.label(check(index));
    }

    private int check(int index) {
        if (index < 0 || index >= n) {
            throw new IndexOutOfBoundsException("index " + index + " of a subset of " + n);
        }
        return index;
    }
}
