package dev.resnet4j.io;

import dev.resnet4j.tensor.Tensor;

/**
 * The content of a .npy file as read: its shape, NumPy dtype name ({@code float32},
 * {@code int64}, ...) and its elements as little-endian bytes in row-major (C) order,
 * whatever byte order and layout the file used.
 */
public record NpyArray(int[] shape, String dtype, byte[] data) {
    /** Number of elements. */
    public int size() {
        return (int) Tensor.numel(shape);
    }

    /** Elements converted to float32. */
    public float[] floats() {
        return type().toFloats(data, 0, size());
    }

    /** Elements as exact integers; only integer and bool arrays have them. */
    public long[] longs() {
        DType t = type();
        if (t.floating) {
            throw new IllegalStateException("array holds " + dtype + ", not integers");
        }
        return t.toLongs(data, 0, size());
    }

    /** A float32 tensor of the file's shape. */
    public Tensor toTensor() {
        return new Tensor(floats(), shape);
    }

    DType type() {
        return Npy.typeOf(dtype);
    }
}
