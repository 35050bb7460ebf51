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

    /**
     * Below this many output pixels per image, the whole batch is lowered into one column
     * matrix [C·kh·kw, N·OH·OW] and multiplied once: per-image products at the late stages of a
     * small input (7×7, 2×2, 1×1 outputs) are too thin for the GEMM to reach speed.
     */
    static final int BATCHED_BELOW = 1024;

    static boolean batched(Shape s) {
        return s.n() > 1 && s.colCols() < BATCHED_BELOW;
    }

    private static final java.util.Map<Shape, int[]> GATHER = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * For small feature maps, the lowering as a table: entry r·P + j is the offset in the image
     * that column-matrix entry (r, j) reads, or −1 for padding. One gather loop then replaces
     * thousands of tiny row copies (a 7×7 map has 7-float rows; a 1×1 map, 1-float rows).
     */
    private static int[] gatherTable(Shape s) {
        Shape key = new Shape(1, s.c(), s.h(), s.w(), 1, s.kh(), s.kw(), s.stride(), s.pad());
        return GATHER.computeIfAbsent(key, g -> {
            int p = g.colCols();
            int[] idx = new int[g.colRows() * p];
            for (int ci = 0; ci < g.c(); ci++) {
                for (int ki = 0; ki < g.kh(); ki++) {
                    for (int kj = 0; kj < g.kw(); kj++) {
                        int row = ((ci * g.kh() + ki) * g.kw() + kj) * p;
                        for (int oy = 0; oy < g.oh(); oy++) {
                            int iy = oy * g.stride() - g.pad() + ki;
                            for (int ox = 0; ox < g.ow(); ox++) {
                                int ix = ox * g.stride() - g.pad() + kj;
                                boolean inside = iy >= 0 && iy < g.h() && ix >= 0 && ix < g.w();
                                idx[row + oy * g.ow() + ox] = inside ? (ci * g.h() + iy) * g.w() + ix : -1;
                            }
                        }
                    }
                }
            }
            return idx;
        });
    }

    /** Lowers every image into one [K, N·P] matrix (workers split the rows). */
    private static float[] lowerBatch(Shape s, float[] x, int slot) {
        int k = s.colRows();
        int p = s.colCols();
        int n = s.n();
        int ld = n * p;
        float[] col = scratch(slot, k * ld);
        int inSize = s.c() * s.h() * s.w();
        int[] idx = gatherTable(s);
        Parallel.forRange(k, 8, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                for (int i = 0; i < n; i++) {
                    int dst = r * ld + i * p;
                    int src = i * inSize;
                    for (int j = 0; j < p; j++) {
                        int v = idx[r * p + j];
                        col[dst + j] = v < 0 ? 0f : x[src + v];
                    }
                }
            }
        });
        return col;
    }

    private static void forwardBatched(Shape s, float[] x, float[] w, float[] bias, float[] residual, boolean relu, float[] y) {
        int k = s.colRows();
        int p = s.colCols();
        int ld = s.n() * p;
        int outC = s.outC();
        float[] col = lowerBatch(s, x, 0);
        float[] out = scratch(1, outC * ld);
        Gemm.sgemm(false, false, outC, ld, k, w, 0, k, col, 0, ld, out, 0, ld, false);
        Parallel.forRange(s.n(), 1, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                for (int o = 0; o < outC; o++) {
                    // gather image i's row o out of the [outC, N·P] product, with the epilogue
                    epilogueRow(out, o * ld + i * p, y, (i * outC + o) * p, p, bias == null ? 0f : bias[o], residual, relu);
                }
            }
        });
    }

    private static void epilogueRow(float[] src, int si, float[] dst, int di, int p, float b, float[] residual, boolean relu) {
        for (int j = 0; j < p; j++) {
            float v = src[si + j] + b;
            if (residual != null) {
                v += residual[di + j];
            }
            dst[di + j] = relu ? Math.max(v, 0f) : v;
        }
    }

    private static void backwardBatched(Shape s, float[] x, float[] w, float[] dy, float[] dx, float[] dw) {
        int k = s.colRows();
        int p = s.colCols();
        int ld = s.n() * p;
        int outC = s.outC();
        int inSize = s.c() * s.h() * s.w();
        float[] col = lowerBatch(s, x, 0);
        float[] dyt = scratch(1, outC * ld);
        Parallel.forRange(s.n(), 1, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                for (int o = 0; o < outC; o++) {
                    System.arraycopy(dy, (i * outC + o) * p, dyt, o * ld + i * p, p);
                }
            }
        });
        Gemm.sgemm(false, true, outC, k, ld, dyt, 0, ld, col, 0, ld, dw, 0, k, true);
        if (dx != null) {
            float[] dcol = col; // the lowered input is no longer needed: reuse its memory
            Gemm.sgemm(true, false, k, ld, outC, w, 0, k, dyt, 0, ld, dcol, 0, ld, false);
            int[] idx = gatherTable(s);
            Parallel.forRange(s.n(), 1, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    // the adjoint of the gather: scatter-add (dx arrives zeroed)
                    int base = i * inSize;
                    java.util.Arrays.fill(dx, base, base + inSize, 0f);
                    for (int r = 0; r < k; r++) {
                        int src = r * ld + i * p;
                        for (int j = 0; j < p; j++) {
                            int v = idx[r * p + j];
                            if (v >= 0) {
                                dx[base + v] += dcol[src + j];
                            }
                        }
                    }
                }
            });
        }
    }

    /** y[n, outC, oh, ow] = conv(x, w) (+ bias if non-null). */
    public static void forward(Shape s, float[] x, float[] w, float[] bias, float[] y) {
        forward(s, x, w, bias, null, false, y);
    }

    /**
     * Inference form with a fused epilogue: y = conv(x, w) + bias (+ residual), then ReLU if
     * {@code relu}. With BatchNorm folded into w and bias, one pass over the output replaces
     * the separate BN, add and ReLU passes.
     */
    public static void forward(Shape s, float[] x, float[] w, float[] bias, float[] residual, boolean relu, float[] y) {
        if (batched(s)) {
            forwardBatched(s, x, w, bias, residual, relu, y);
            return;
        }
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
                epilogue(y, i * outSize, y, i * outSize, s.outC(), p, bias, residual, relu);
            }
        });
    }

    /** dst[o, j] = src[o, j] (+ bias[o]) (+ residual at dst's offset), then max(·, 0) if relu. */
    private static void epilogue(float[] src, int srcOff, float[] dst, int dstOff, int outC, int p,
                                 float[] bias, float[] residual, boolean relu) {
        if (bias == null && residual == null && !relu && src == dst && srcOff == dstOff) {
            return;
        }
        for (int o = 0; o < outC; o++) {
            epilogueRow(src, srcOff + o * p, dst, dstOff + o * p, p, bias == null ? 0f : bias[o], residual, relu);
        }
    }

    /**
     * Backward: dx = ∂L/∂x (may be null to skip), dw += ∂L/∂w, dbias += ∂L/∂b (may be null).
     */
    public static void backward(Shape s, float[] x, float[] w, float[] dy, float[] dx, float[] dw, float[] dbias) {
        if (batched(s)) {
            backwardBatched(s, x, w, dy, dx, dw);
            addBiasGradient(s, dy, dbias);
            return;
        }
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
        addBiasGradient(s, dy, dbias);
    }

    private static void addBiasGradient(Shape s, float[] dy, float[] dbias) {
        int p = s.colCols();
        int outSize = s.outC() * p;
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
        im2col(x, xOff, c, h, w, kh, kw, stride, pad, oh, ow, col, 0, oh * ow);
    }

    /** As above, writing row r of the column matrix at {@code colOff + r·ld} (ld ≥ oh·ow). */
    public static void im2col(float[] x, int xOff, int c, int h, int w, int kh, int kw, int stride, int pad,
                              int oh, int ow, float[] col, int colOff, int ld) {
        for (int ci = 0; ci < c; ci++) {
            int xc = xOff + ci * h * w;
            for (int ki = 0; ki < kh; ki++) {
                for (int kj = 0; kj < kw; kj++) {
                    int row = colOff + ((ci * kh + ki) * kw + kj) * ld;
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
        col2im(col, 0, oh * ow, c, h, w, kh, kw, stride, pad, oh, ow, x, xOff);
    }

    /** As above, reading row r of the column matrix at {@code colOff + r·ld}. */
    public static void col2im(float[] col, int colOff, int ld, int c, int h, int w, int kh, int kw, int stride, int pad,
                              int oh, int ow, float[] x, int xOff) {
        java.util.Arrays.fill(x, xOff, xOff + c * h * w, 0f);
        for (int ci = 0; ci < c; ci++) {
            int xc = xOff + ci * h * w;
            for (int ki = 0; ki < kh; ki++) {
                for (int kj = 0; kj < kw; kj++) {
                    int row = colOff + ((ci * kh + ki) * kw + kj) * ld;
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
