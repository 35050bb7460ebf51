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
        return (size + 2 * pad - kernel) / stride + 1;
    }

    /**
     * y[planes, oh, ow] = max over each window of x[planes, h, w]. Separable: each input row
     * is first reduced over the window's columns, then those row maxima over the window's
     * rows; the second pass runs along contiguous rows, which the JIT vectorises, and neither
     * has one long chain of dependent maxima.
     */
    public static void maxPool(float[] x, int planes, int h, int w, int kernel, int stride, int pad, float[] y) {
        int oh = outSize(h, kernel, stride, pad);
        int ow = outSize(w, kernel, stride, pad);
        Parallel.forRange(planes, 4, (lo, hi) -> {
            float[] rows = new float[h * ow];
            for (int pl = lo; pl < hi; pl++) {
                int xBase = pl * h * w;
                int yBase = pl * oh * ow;
                for (int iy = 0; iy < h; iy++) {
                    int row = xBase + iy * w;
                    for (int ox = 0; ox < ow; ox++) {
                        int x0 = ox * stride - pad;
                        int xs = Math.max(x0, 0);
                        int xe = Math.min(x0 + kernel, w);
                        float best = Float.NEGATIVE_INFINITY;
                        for (int ix = xs; ix < xe; ix++) {
                            best = Math.max(best, x[row + ix]);
                        }
                        rows[iy * ow + ox] = best;
                    }
                }
                for (int oy = 0; oy < oh; oy++) {
                    int y0 = oy * stride - pad;
                    int ys = Math.max(y0, 0);
                    int ye = Math.min(y0 + kernel, h);
                    int d = yBase + oy * ow;
                    System.arraycopy(rows, ys * ow, y, d, ow);
                    for (int iy = ys + 1; iy < ye; iy++) {
                        int r = iy * ow;
                        for (int ox = 0; ox < ow; ox++) {
                            y[d + ox] = Math.max(y[d + ox], rows[r + ox]);
                        }
                    }
                }
            }
        });
    }

    /**
     * As {@link #maxPool}, also recording in {@code argmax} (same length as y) the index within
     * its plane of each maximum; {@code y} may be null when only the indices are wanted.
     */
    public static void maxPoolWithArgmax(float[] x, int planes, int h, int w, int kernel, int stride, int pad,
                                         float[] y, int[] argmax) {
        int oh = outSize(h, kernel, stride, pad);
        int ow = outSize(w, kernel, stride, pad);
        Parallel.forRange(planes, 4, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
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
        });
    }
}
