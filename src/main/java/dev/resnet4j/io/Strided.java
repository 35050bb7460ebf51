package dev.resnet4j.io;

/**
 * Bounds-checked materialisation of a strided view (PyTorch's size/stride/offset, NumPy's
 * Fortran order) into a contiguous row-major copy.
 */
final class Strided {
    private Strided() {
    }

    /** Row-major strides of {@code shape}, in elements. */
    static long[] contiguousStrides(int[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /**
     * Checks a view against a storage of {@code storageNumel} elements and returns its shape
     * as ints. Every product and sum is overflow-checked: the numbers come from the file.
     */
    static int[] checkView(long[] size, long[] stride, long offset, long storageNumel, ByteReader at, String what)
            throws FormatException {
        if (size.length != stride.length) {
            throw at.fail(what + " has " + size.length + " sizes but " + stride.length + " strides");
        }
        if (size.length > 64) {
            throw at.fail(what + " has " + size.length + " dimensions");
        }
        if (offset < 0) {
            throw at.fail(what + " has negative storage offset " + offset);
        }
        int[] shape = new int[size.length];
        long numel = 1;
        long last = offset;
        try {
            for (int i = 0; i < size.length; i++) {
                if (size[i] < 0 || size[i] > Integer.MAX_VALUE) {
                    throw at.fail(what + " has invalid size " + size[i]);
                }
                if (stride[i] < 0) {
                    throw at.fail(what + " has negative stride " + stride[i]);
                }
                shape[i] = (int) size[i];
                numel = Math.multiplyExact(numel, size[i]);
                if (size[i] > 0) {
                    last = Math.addExact(last, Math.multiplyExact(size[i] - 1, stride[i]));
                }
            }
        } catch (ArithmeticException e) {
            throw at.fail(what + " has sizes, strides or offset that overflow");
        }
        if (numel > Integer.MAX_VALUE - 8) {
            throw at.fail(what + " has " + numel + " elements, more than one Java array can hold");
        }
        // A view may not hold more elements than its storage: stride-0 expansion of a tiny
        // storage would otherwise turn a few bytes of file into gigabytes of floats.
        if (numel > storageNumel) {
            throw at.fail(what + " has " + numel + " elements but its storage only " + storageNumel
                    + " (expanded views are not supported)");
        }
        if (numel > 0 && last >= storageNumel) {
            throw at.fail(what + " reads element " + last + " of a storage with only " + storageNumel + " elements");
        }
        return shape;
    }

    /**
     * Copies the view's elements, {@code elemSize} bytes each, into a new contiguous array.
     * The view must have passed {@link #checkView}.
     */
    static byte[] gather(byte[] src, int start, int elemSize, int[] shape, long[] stride, long offset) {
        int numel = 1;
        for (int d : shape) {
            numel *= d;
        }
        byte[] out = new byte[numel * elemSize];
        if (numel == 0) {
            return out;
        }
        if (java.util.Arrays.equals(stride, contiguousStrides(shape)) || shape.length == 0) {
            System.arraycopy(src, (int) (start + offset * elemSize), out, 0, out.length);
            return out;
        }
        int rank = shape.length;
        int[] idx = new int[rank];
        long pos = offset;
        for (int n = 0; n < numel; n++) {
            System.arraycopy(src, (int) (start + pos * elemSize), out, n * elemSize, elemSize);
            // Odometer increment over the row-major index, keeping the source position in step.
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    pos += stride[d];
                    break;
                }
                pos -= (long) (shape[d] - 1) * stride[d];
                idx[d] = 0;
            }
        }
        return out;
    }
}
