package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;

/**
 * 2-D convolution (cross-correlation, as PyTorch) over NCHW float arrays, by im2col + GEMM.
 *
 * <p>Forward, input-gradient and weight-gradient are the three products of one lowering:
 * {@code col = im2col(x)} is [C·kh·kw, OH·OW]; {@code y = W·col}; {@code dW += dy·colᵀ};
 * {@code dx = col2im(Wᵀ·dy)}. A 1×1 stride-1 unpadded convolution needs no lowering at all:
 * the image itself is the column matrix. Work is split over the batch; per-thread scratch
 * buffers are reused across calls.
 */
public final class Convolution {
    private Convolution() {
    }

    /** Geometry of one convolution; computes output sizes once. */
    public record Shape(int n, int c, int h, int w, int outC, int kh, int kw, int stride, int pad) {
        public int oh() {
            return (h + 2 * pad - kh) / stride + 1;
        }

        public int ow() {
            return (w + 2 * pad - kw) / stride + 1;
        }

        int colRows() {
            return c * kh * kw;
        }

        int colCols() {
            return oh() * ow();
        }

        boolean direct() {
            return kh == 1 && kw == 1 && stride == 1 && pad == 0;
        }
    }

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    /** A per-thread buffer of at least {@code size} floats (slot 0 or 1), grown on demand. */
    static float[] scratch(int slot, int size) {
        float[][] s = SCRATCH.get();
        if (s[slot].length < size) {
            s[slot] = new float[size];
        }
        return s[slot];
    }

    /** y[n, outC, oh, ow] = conv(x, w) (+ bias if non-null). */
    public static void forward(Shape s, float[] x, float[] w, float[] bias, float[] y) {
        int k = s.colRows();
        int p = s.colCols();
        int inSize = s.c() * s.h() * s.w();
        int outSize = s.outC() * p;
        Parallel.forRange(s.n(), 1, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                float[] col;
                int colOff;
                if (s.direct()) {
                    col = x;
                    colOff = i * inSize;
                } else {
                    col = scratch(0, k * p);
                    colOff = 0;
                    im2col(x, i * inSize, s.c(), s.h(), s.w(), s.kh(), s.kw(), s.stride(), s.pad(), s.oh(), s.ow(), col);
                }
                Gemm.sgemm(false, false, s.outC(), p, k, w, 0, k, col, colOff, p, y, i * outSize, p, false);
                if (bias != null) {
                    for (int o = 0; o < s.outC(); o++) {
                        float b = bias[o];
                        int base = i * outSize + o * p;
                        for (int j = 0; j < p; j++) {
                            y[base + j] += b;
                        }
                    }
                }
            }
        });
    }

    /**
     * Backward: dx = ∂L/∂x (may be null to skip), dw += ∂L/∂w, dbias += ∂L/∂b (may be null).
     */
    public static void backward(Shape s, float[] x, float[] w, float[] dy, float[] dx, float[] dw, float[] dbias) {
        int k = s.colRows();
        int p = s.colCols();
        int inSize = s.c() * s.h() * s.w();
        int outSize = s.outC() * p;
        int wSize = s.outC() * k;
        int threads = Math.min(Parallel.threads(), s.n());
        float[][] partial = new float[Math.max(1, threads)][];
        Parallel.forRange(s.n(), 1, (lo, hi) -> {
            // Each chunk accumulates its own weight gradient; they are summed afterwards so the
            // result does not depend on thread interleaving.
            float[] dwLocal = new float[wSize];
            for (int i = lo; i < hi; i++) {
                float[] col;
                int colOff;
                if (s.direct()) {
                    col = x;
                    colOff = i * inSize;
                } else {
                    col = scratch(0, k * p);
                    colOff = 0;
                    im2col(x, i * inSize, s.c(), s.h(), s.w(), s.kh(), s.kw(), s.stride(), s.pad(), s.oh(), s.ow(), col);
                }
                Gemm.sgemm(false, true, s.outC(), k, p, dy, i * outSize, p, col, colOff, p, dwLocal, 0, k, true);
                if (dx != null) {
                    if (s.direct()) {
                        Gemm.sgemm(true, false, k, p, s.outC(), w, 0, k, dy, i * outSize, p, dx, i * inSize, p, false);
                    } else {
                        float[] dcol = scratch(1, k * p);
                        Gemm.sgemm(true, false, k, p, s.outC(), w, 0, k, dy, i * outSize, p, dcol, 0, p, false);
                        col2im(dcol, s.c(), s.h(), s.w(), s.kh(), s.kw(), s.stride(), s.pad(), s.oh(), s.ow(), dx, i * inSize);
                    }
                }
            }
            synchronized (partial) {
                for (int t = 0; t < partial.length; t++) {
                    if (partial[t] == null) {
                        partial[t] = dwLocal;
                        break;
                    }
                }
            }
        });
        for (float[] part : partial) {
            if (part != null) {
                for (int j = 0; j < wSize; j++) {
                    dw[j] += part[j];
                }
            }
        }
        if (dbias != null) {
            for (int i = 0; i < s.n(); i++) {
                for (int o = 0; o < s.outC(); o++) {
                    double sum = 0;
                    int base = i * outSize + o * p;
                    for (int j = 0; j < p; j++) {
                        sum += dy[base + j];
                    }
                    dbias[o] += (float) sum;
                }
            }
        }
    }

    /** Lowers one image [C,H,W] at {@code xOff} to col [C·kh·kw, oh·ow]; padding reads as 0. */
    public static void im2col(float[] x, int xOff, int c, int h, int w, int kh, int kw, int stride, int pad,
                              int oh, int ow, float[] col) {
        int p = oh * ow;
        for (int ci = 0; ci < c; ci++) {
            int xc = xOff + ci * h * w;
            for (int ki = 0; ki < kh; ki++) {
                for (int kj = 0; kj < kw; kj++) {
                    int row = ((ci * kh + ki) * kw + kj) * p;
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * stride - pad + ki;
                        int dst = row + oy * ow;
                        if (iy < 0 || iy >= h) {
                            java.util.Arrays.fill(col, dst, dst + ow, 0f);
                            continue;
                        }
                        int src = xc + iy * w;
                        if (stride == 1) {
                            int ix0 = -pad + kj;
                            // contiguous middle part, zero edges
                            int lo = Math.max(0, -ix0);
                            int hi = Math.min(ow, w - ix0);
                            for (int ox = 0; ox < Math.min(lo, ow); ox++) {
                                col[dst + ox] = 0f;
                            }
                            if (hi > lo) {
                                System.arraycopy(x, src + ix0 + lo, col, dst + lo, hi - lo);
                            }
                            for (int ox = Math.max(hi, lo); ox < ow; ox++) {
                                col[dst + ox] = 0f;
                            }
                        } else {
                            for (int ox = 0; ox < ow; ox++) {
                                int ix = ox * stride - pad + kj;
                                col[dst + ox] = (ix >= 0 && ix < w) ? x[src + ix] : 0f;
                            }
                        }
                    }
                }
            }
        }
    }

    /** Adjoint of {@link #im2col}: adds col's entries back into image [C,H,W] at {@code xOff}. */
    public static void col2im(float[] col, int c, int h, int w, int kh, int kw, int stride, int pad,
                              int oh, int ow, float[] x, int xOff) {
        int p = oh * ow;
        java.util.Arrays.fill(x, xOff, xOff + c * h * w, 0f);
        for (int ci = 0; ci < c; ci++) {
            int xc = xOff + ci * h * w;
            for (int ki = 0; ki < kh; ki++) {
                for (int kj = 0; kj < kw; kj++) {
                    int row = ((ci * kh + ki) * kw + kj) * p;
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * stride - pad + ki;
                        if (iy < 0 || iy >= h) {
                            continue;
                        }
                        int src = row + oy * ow;
                        int dst = xc + iy * w;
                        for (int ox = 0; ox < ow; ox++) {
                            int ix = ox * stride - pad + kj;
                            if (ix >= 0 && ix < w) {
                                x[dst + ix] += col[src + ox];
                            }
                        }
                    }
                }
            }
        }
    }
}
