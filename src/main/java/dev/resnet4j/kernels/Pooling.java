package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;

/**
 * 2-D max pooling over NCHW planes, PyTorch's semantics: padding counts as −∞, a NaN in the
 * window wins, ties go to the first maximum in row-major window order.
 *
 * <p>Two forms. {@link #maxPoolWithArgmax} records where each maximum came from, for the
 * backward pass; it compares element by element, the definition. {@link #maxPool} computes
 * the values only, with {@code Math.max} (branch-free, NaN-propagating) in two separable
 * passes, several times faster: the eval-mode form, where no backward follows. The two give the same values
 * except that a window holding both −0 and +0 yields +0 from {@code maxPool} (ReLU outputs,
 * ResNet's pooling input, hold no −0).
 */
public final class Pooling {
    private Pooling() {
    }

    /** Output extent along one axis (floor mode). */
    public static int outSize(int size, int kernel, int stride, int pad) {
        return Math.floorDiv(size + 2 * pad - kernel, stride) + 1; // rounded down, as PyTorch: ≤ 0 where it refuses
    }

    /**
     * y[planes, oh, ow] = max over each window of x[planes, h, w]. Separable: for each output
     * row, the window's input rows are first reduced element by element (contiguous rows,
     * which the JIT vectorises), then that row of column maxima over each window's columns.
     * Reducing the rows first does the strided, scalar pass once per output row instead of
     * once per input row (half as often at stride 2), and neither pass has one long chain of
     * dependent maxima.
     */
    public static void maxPool(float[] x, int planes, int h, int w, int kernel, int stride, int pad, float[] y) {
        int oh = outSize(h, kernel, stride, pad);
        int ow = outSize(w, kernel, stride, pad);
        Parallel.forRange(planes, 4, (lo, hi) -> {
            float[] col = new float[w];
            for (int pl = lo; pl < hi; pl++) {
                int xBase = pl * h * w;
                int yBase = pl * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int y0 = oy * stride - pad;
                    int ys = Math.max(y0, 0);
                    int ye = Math.min(y0 + kernel, h);
                    if (ys >= ye) {
                        java.util.Arrays.fill(y, yBase + oy * ow, yBase + (oy + 1) * ow, Float.NEGATIVE_INFINITY);
                        continue;
                    }
                    columnMax(x, xBase, w, ys, ye, col);
                    rowMax(col, 0, w, kernel, stride, pad, y, yBase + oy * ow, ow);
                }
            }
        });
    }

    /** col[ix] = max of rows [ys, ye) of a plane at column ix (element by element: the JIT vectorises it). */
    private static void columnMax(float[] x, int base, int w, int ys, int ye, float[] col) {
        System.arraycopy(x, base + ys * w, col, 0, w);
        for (int iy = ys + 1; iy < ye; iy++) {
            int r = base + iy * w;
            for (int ix = 0; ix < w; ix++) {
                col[ix] = Math.max(col[ix], x[r + ix]);
            }
        }
    }

    /**
     * dst[d + ox] = max of src[row + ox·stride − pad + (0 .. kernel)] within the row, for ox in
     * [0, ow). Windows that lie inside the row (all but the edges) take an unrolled path for
     * ResNet's 3-wide kernel: a generic short loop costs several times the arithmetic here.
     */
    static void rowMax(float[] src, int row, int w, int kernel, int stride, int pad, float[] dst, int d,
                               int ow) {
        // the first and last window lying inside the row
        int first = (pad + stride - 1) / stride;
        int last = w - kernel + pad < 0 ? -1 : Math.min(ow - 1, (w - kernel + pad) / stride);
        if (kernel != 3 || first > last) {
            first = ow;
            last = ow - 1;
        }
        for (int ox = 0; ox < ow; ox++) {
            if (ox == first) {
                for (int s = row + ox * stride - pad; ox <= last; ox++, s += stride) {
                    dst[d + ox] = Math.max(Math.max(src[s], src[s + 1]), src[s + 2]);
                }
                if (ox >= ow) {
                    break;
                }
            }
            int x0 = ox * stride - pad;
            int xs = Math.max(x0, 0);
            int xe = Math.min(x0 + kernel, w);
            float best = Float.NEGATIVE_INFINITY;
            for (int ix = xs; ix < xe; ix++) {
                best = Math.max(best, src[row + ix]);
            }
            dst[d + ox] = best;
        }
    }

    /**
     * As {@link #maxPool}, also recording in {@code argmax} (same length as y) the index within
     * its plane of each maximum; {@code y} may be null when only the indices are wanted. The same
     * values, bit for bit, and indices as {@link #maxPoolWithArgmaxPlain} (the definition): each
     * window's maximum comes from the separable pass of {@link #maxPool}, then the window is
     * scanned for the first element equal to it (the first NaN if it is NaN), and y takes that
     * element itself, so that a −0 listed before a +0 stays −0. The definition's compare-and-
     * branch per element mispredicts at many window updates: the forward's pool of a training
     * step at 32 px took 8.5 ms with it, 6.2–6.3 with this form (`TrainStepBench cifar`).
     */
    public static void maxPoolWithArgmax(float[] x, int planes, int h, int w, int kernel, int stride, int pad,
                                         float[] y, int[] argmax) {
        if (2 * pad > kernel) {
            // windows may then hold padding only (MaxPool2d refuses such a padding)
            maxPoolWithArgmaxPlain(x, planes, h, w, kernel, stride, pad, y, argmax);
            return;
        }
        int oh = outSize(h, kernel, stride, pad);
        int ow = outSize(w, kernel, stride, pad);
        Parallel.forRange(planes, 4, (lo, hi) -> {
            float[] col = new float[w];
            float[] max = new float[ow]; // one output row's maxima
            for (int pl = lo; pl < hi; pl++) {
                int xBase = pl * h * w;
                int yBase = pl * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int y0 = oy * stride - pad;
                    int ys = Math.max(y0, 0);
                    int ye = Math.min(y0 + kernel, h);
                    columnMax(x, xBase, w, ys, ye, col);
                    rowMax(col, 0, w, kernel, stride, pad, max, 0, ow);
                    for (int ox = 0; ox < ow; ox++) {
                        int x0 = ox * stride - pad;
                        int xs = Math.max(x0, 0);
                        int xe = Math.min(x0 + kernel, w);
                        float m = max[ox];
                        int at = first(x, xBase, w, ys, ye, xs, xe, m);
                        if (y != null) {
                            y[yBase + oy * ow + ox] = x[xBase + at];
                        }
                        argmax[yBase + oy * ow + ox] = at;
                    }
                }
            }
        });
    }

    /** Where in rows [ys, ye) × columns [xs, xe) of a plane the first element equal to m is (the first NaN for NaN). */
    private static int first(float[] x, int base, int w, int ys, int ye, int xs, int xe, float m) {
        if (m == m) {
            for (int iy = ys; iy < ye; iy++) {
                int r = base + iy * w;
                for (int ix = xs; ix < xe; ix++) {
                    if (x[r + ix] == m) {
                        return iy * w + ix;
                    }
                }
            }
        } else {
            for (int iy = ys; iy < ye; iy++) {
                int r = base + iy * w;
                for (int ix = xs; ix < xe; ix++) {
                    if (x[r + ix] != x[r + ix]) {
                        return iy * w + ix;
                    }
                }
            }
        }
        return ys * w + xs; // not reached: m is one of the window's elements
    }

    /**
     * The definition of {@link #maxPoolWithArgmax}, element by element as PyTorch's CPU kernel
     * compares (a greater value or the first NaN takes over); tests compare the two.
     */
    static void maxPoolWithArgmaxPlain(float[] x, int planes, int h, int w, int kernel, int stride, int pad,
                                       float[] y, int[] argmax) {
        int oh = outSize(h, kernel, stride, pad);
        int ow = outSize(w, kernel, stride, pad);
        for (int pl = 0; pl < planes; pl++) {
            int xBase = pl * h * w;
            int yBase = pl * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int y0 = oy * stride - pad;
                int ys = Math.max(y0, 0);
                int ye = Math.min(y0 + kernel, h);
                for (int ox = 0; ox < ow; ox++) {
                    int x0 = ox * stride - pad;
                    int xs = Math.max(x0, 0);
                    int xe = Math.min(x0 + kernel, w);
                    float best = Float.NEGATIVE_INFINITY;
                    int bestIdx = ys * w + xs;
                    for (int iy = ys; iy < ye; iy++) {
                        for (int ix = xs; ix < xe; ix++) {
                            float v = x[xBase + iy * w + ix];
                            if (v > best || Float.isNaN(v)) {
                                best = v;
                                bestIdx = iy * w + ix;
                                if (Float.isNaN(v)) {
                                    iy = ye;
                                    break;
                                }
                            }
                        }
                    }
                    if (y != null) {
                        y[yBase + oy * ow + ox] = best;
                    }
                    argmax[yBase + oy * ow + ox] = bestIdx;
                }
            }
        }
    }
}
