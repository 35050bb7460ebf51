package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;

/**
 * A convolution with its bias and ReLU, and the max-pool after it, in one pass: ResNet's stem
 * in inference (7×7/2 convolution with BN folded in, ReLU, 3×3/2 max-pool). The convolution's
 * own output (3.2 MB an image at 224 px) is never written: its product runs over bands of
 * output rows into a buffer that stays in L2, and each band is pooled as soon as it holds the
 * rows a pooled row needs.
 *
 * <p>The epilogue runs after the pool, on a quarter of the values:
 * {@code max(relu(g + b)) = relu(max(g) + b)}, because adding b (rounded) and ReLU never
 * reverse an order; so the result has the same bits as {@link Convolution#forward} followed by
 * {@link Pooling#maxPool}. The pool is that of {@link Pooling#maxPool} (rows first, then
 * {@link Pooling#rowMax} along the row); ResNet's 3×3, stride-2 pool runs in vectors
 * ({@link PoolVectorKernel}: a third of the fused stem's time went to the scalar pool), with
 * the same bits, since maxima are exact.
 */
public final class ConvMaxPool {
    private ConvMaxPool() {
    }

    /**
     * Bytes of a band's product that the band size aims at (half of a 1 MB L2; tests lower it
     * to get many bands from small inputs).
     */
    static long bandBytes = Long.getLong("resnet4j.stem.bandKB", 512) << 10;

    /** Whether a 3×3, stride-2 pool runs in vectors ({@link PoolVectorKernel}); tests flip it to compare. */
    static boolean VECTOR_POOL = true;

    /**
     * y [n, outC, PH, PW] = maxpool(conv(x, w) + bias, then ReLU if {@code relu}), the pool
     * of kernel pk, stride ps, padding pp (PyTorch's floor mode). Returns false, having done
     * nothing, where this form does not apply (the convolution does not run as an indirect
     * product, or the pool's padding exceeds half its kernel): then run the two steps.
     */
    public static boolean forward(Convolution.Shape s, float[] x, float[] w, float[] bias, boolean relu, int pk, int ps,
                                  int pp, float[] y) {
        if (Convolution.batched(s) || !Convolution.indirect(s) || pk < 1 || ps < 1 || 2 * pp > pk) {
            return false;
        }
        int ph = Pooling.outSize(s.oh(), pk, ps, pp);
        int pw = Pooling.outSize(s.ow(), pk, ps, pp);
        if (ph <= 0 || pw <= 0) {
            return false;
        }
        Bands b = new Bands(s, pk, ps, pp, ph, pw);
        float[] packed = Convolution.scratch(2, Gemm.packedSize(s.outC(), b.k));
        Gemm.packAll(w, s.outC(), b.k, packed);
        int inSize = s.c() * s.h() * s.w();
        int outSize = s.outC() * ph * pw;
        if (s.n() >= Parallel.threads()) {
            Parallel.forRangeBalanced(s.n(), 1, (lo, hi) -> {
                float[] xp = Convolution.scratch(0, b.planesEnd + b.wq + Gemm.NR);
                for (int i = lo; i < hi; i++) {
                    Convolution.phasePlanes(s, x, i * inSize, 0, s.c(), xp);
                    java.util.Arrays.fill(xp, b.planesEnd, b.planesEnd + b.wq + Gemm.NR, 0f);
                    b.pooledRows(xp, w, packed, bias, relu, y, i * outSize, 0, ph, IMAGES.incrementAndGet());
                }
            });
            return true;
        }
        // fewer images than workers (batch 1): split each image's planes over its channels and
        // its pooled rows over the workers (each recomputes the product rows it shares with
        // the previous worker's last band)
        float[] xp = Convolution.scratch(0, b.planesEnd + b.wq + Gemm.NR);
        for (int i = 0; i < s.n(); i++) {
            int xOff = i * inSize;
            int yOff = i * outSize;
            Parallel.forRangeBalanced(s.c(), 1, (lo, hi) -> Convolution.phasePlanes(s, x, xOff, lo, hi, xp));
            java.util.Arrays.fill(xp, b.planesEnd, b.planesEnd + b.wq + Gemm.NR, 0f);
            long image = IMAGES.incrementAndGet();
            Parallel.forRangeBalanced(ph, 2, (lo, hi) -> b.pooledRows(xp, w, packed, bias, relu, y, yOff, lo, hi, image));
        }
        return true;
    }

    /** Numbers the images the product runs over, so that a thread knows whether its grid holds rows of this one. */
    private static final java.util.concurrent.atomic.AtomicLong IMAGES = new java.util.concurrent.atomic.AtomicLong();

    /**
     * What this thread's grid buffer holds: product rows [have0, have1) of image {@code image},
     * so that a call for the pooled rows right after the previous call's moves the rows they
     * share instead of computing them again (the workers take pooled rows a few at a time).
     */
    private static final class Held {
        long image;
        int have0;
        int have1;
    }

    private static final ThreadLocal<Held> HELD = ThreadLocal.withInitial(Held::new);

    /** The geometry of the product grid (as in {@code Convolution.forwardIndirect}) and of the bands. */
    private static final class Bands {
        final Convolution.Shape s;
        final int pk;
        final int ps;
        final int pp;
        final int ph;
        final int pw;
        final int k;
        final int wq;
        final int planesEnd;
        final int[] rows;
        /** Pooled rows per band, and product rows a band holds at most. */
        final int perBand;
        final int bandRows;

        Bands(Convolution.Shape s, int pk, int ps, int pp, int ph, int pw) {
            this.s = s;
            this.pk = pk;
            this.ps = ps;
            this.pp = pp;
            this.ph = ph;
            this.pw = pw;
            int st = s.stride();
            this.k = s.colRows();
            this.wq = (s.w() + 2 * s.pad() + st - 1) / st;
            int hq = (s.h() + 2 * s.pad() + st - 1) / st;
            int plane = hq * wq;
            this.planesEnd = s.c() * st * st * plane;
            this.rows = Convolution.tapRows(s, wq, plane);
            long rowBytes = 4L * s.outC() * wq;
            this.perBand = (int) Math.max(1, (bandBytes / rowBytes - pk) / ps + 1);
            this.bandRows = ps * (perBand - 1) + pk;
        }

        /**
         * Pooled rows [p0, p1) of one image, whose phase planes are in xp, into y at yOff:
         * band by band, the product rows the band's pooled rows read (those the previous band
         * already holds are moved to the front, not recomputed), then for each channel and
         * pooled row the maximum down the window's rows, along the row, and the epilogue.
         */
        void pooledRows(float[] xp, float[] w, float[] packed, float[] bias, boolean relu, float[] y, int yOff, int p0,
                        int p1, long image) {
            int m = s.outC();
            int oh = s.oh();
            int ow = s.ow();
            int ldc = bandRows * wq;
            float[] grid = Convolution.scratch(1, m * ldc);
            boolean vectorPool = pk == 3 && ps == 2 && VECTOR_POOL;
            float[] col = Convolution.scratch(3, vectorPool ? PoolVectorKernel.scratchSize(ow) : ow);
            Held held = HELD.get();
            boolean same = held.image == image;
            int have0 = same ? held.have0 : 0;
            int have1 = same ? held.have1 : 0; // product rows [have0, have1) are at the front of grid
            for (int pb = p0; pb < p1; pb += perBand) {
                int pe = Math.min(p1, pb + perBand);
                int rA = Math.max(0, ps * pb - pp);
                int rB = Math.min(oh, ps * (pe - 1) - pp + pk);
                int keep = have0 <= rA && rA < have1 ? Math.min(have1, rB) - rA : 0;
                if (keep > 0 && rA > have0) {
                    for (int o = 0; o < m; o++) {
                        System.arraycopy(grid, o * ldc + (rA - have0) * wq, grid, o * ldc, keep * wq);
                    }
                }
                int from = rA + keep;
                if (from < rB) {
                    Gemm.indirect(m, k, w, 0, packed, xp, rows, from * wq, rB * wq, grid, (keep - from) * wq, ldc);
                }
                have0 = rA;
                have1 = rB;
                for (int o = 0; o < m; o++) {
                    float bo = bias == null ? 0f : bias[o];
                    int g = o * ldc;
                    for (int p = pb; p < pe; p++) {
                        int ys = Math.max(0, ps * p - pp);
                        int ye = Math.min(oh, ps * p - pp + pk);
                        if (vectorPool) {
                            // ResNet's pool: in vectors (same bits)
                            PoolVectorKernel.row3s2(grid, g + (ys - rA) * wq, ye - ys, wq, ow, pp, bo, relu, y,
                                    yOff + (o * ph + p) * pw, pw, col);
                            continue;
                        }
                        System.arraycopy(grid, g + (ys - rA) * wq, col, 0, ow);
                        for (int r = ys + 1; r < ye; r++) {
                            int src = g + (r - rA) * wq;
                            for (int j = 0; j < ow; j++) {
                                col[j] = Math.max(col[j], grid[src + j]);
                            }
                        }
                        int d = yOff + (o * ph + p) * pw;
                        Pooling.rowMax(col, 0, ow, pk, ps, pp, y, d, pw);
                        for (int j = d; j < d + pw; j++) {
                            float v = y[j] + bo;
                            y[j] = relu ? Math.max(v, 0f) : v;
                        }
                    }
                }
            }
            held.image = image;
            held.have0 = have0;
            held.have1 = have1;
        }
    }
}
