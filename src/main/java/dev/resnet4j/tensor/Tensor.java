package dev.resnet4j.tensor;

import java.util.Arrays;

/**
 * A dense, contiguous float32 tensor in row-major (C) order; images are NCHW.
 *
 * <p>Deliberately small: a flat {@code float[]} plus a shape. Views, strides and dtypes other
 * than float32 live in the file readers, which convert to this form once; everything after
 * that works on contiguous arrays so the kernels can stay simple and fast.
 */
public final class Tensor {
    private final float[] data;
    private final int[] shape;

    /** Wraps {@code data} (not copied); its length must equal the product of {@code shape}. */
    public Tensor(float[] data, int... shape) {
        long n = numel(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n
                    + " elements but the data has " + data.length);
        }
        this.data = data;
        this.shape = shape.clone();
    }

    /** A zero-filled tensor of the given shape. */
    public static Tensor zeros(int... shape) {
        long n = numel(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + n
                    + " elements, more than one Java array can hold");
        }
        return new Tensor(new float[(int) n], shape);
    }

    /**
     * {@code reuse} itself when it has exactly this shape (its values are left as they are), else
     * a new zero tensor: the buffer-reuse step of a module or plan that writes every element.
     */
    public static Tensor reuseOrZeros(Tensor reuse, int... shape) {
        return reuse != null && Arrays.equals(reuse.shape, shape) ? reuse : zeros(shape);
    }

    /** A tensor filled with {@code value}. */
    public static Tensor full(float value, int... shape) {
        Tensor t = zeros(shape);
        Arrays.fill(t.data, value);
        return t;
    }

    /** Product of the dimensions; throws on negative dimensions. */
    public static long numel(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
            if (n > Integer.MAX_VALUE) {
                return n;
            }
        }
        return n;
    }

    public float[] data() {
        return data;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    public int rank() {
        return shape.length;
    }

    public int size() {
        return data.length;
    }

    /** Same data, new shape (no copy). */
    public Tensor reshape(int... newShape) {
        return new Tensor(data, newShape);
    }

    public Tensor copy() {
        return new Tensor(data.clone(), shape);
    }

    public boolean sameShape(Tensor o) {
        return Arrays.equals(shape, o.shape);
    }

    public boolean hasShape(int... s) {
        return Arrays.equals(shape, s);
    }

    /** Copies the values of {@code src} (same element count) into this tensor. */
    public void copyFrom(Tensor src) {
        if (src.data.length != data.length) {
            throw new IllegalArgumentException("cannot copy " + src.shapeString() + " into " + shapeString());
        }
        System.arraycopy(src.data, 0, data, 0, data.length);
    }

    public void fill(float v) {
        Arrays.fill(data, v);
    }

    public float get(int... idx) {
        return data[offset(idx)];
    }

    public void set(float v, int... idx) {
        data[offset(idx)] = v;
    }

    private int offset(int[] idx) {
        if (idx.length != shape.length) {
            throw new IllegalArgumentException("index of rank " + idx.length + " for shape " + shapeString());
        }
        int off = 0;
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " out of " + shapeString());
            }
            off = off * shape[i] + idx[i];
        }
        return off;
    }

    /** Shape as PyTorch prints it, e.g. {@code [2, 3, 224, 224]}. */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    public static String shapeString(int[] shape) {
        return Arrays.toString(shape);
    }

    @Override
    public String toString() {
        return "Tensor" + shapeString();
    }
}
