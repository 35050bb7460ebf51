package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;

/**
 * 2-D convolution (cross-correlation, as PyTorch) over NCHW float arrays, by im2col + GEMM.
 *
 * <p>Forward, input-gradient and weight-gradient are the three products of one lowering:
 * {@code col = im2col(x)} is [C·kh·kw, OH·OW]; {@code y = W·col}; {@code dW += dy·colᵀ};
 * {@code dx = col2im(Wᵀ·dy)}. A 1×1 stride-1 unpadded convolution needs no lowering at all:
 * the image itself is the column matrix. Work is split over the batch; per-thread scratch
 * buffers are reused across calls. The per-image lowering is {@link Conv2dKernels}'; small
 * maps use a gather table over the whole batch instead.
 */
public final class Convolution {
    private Convolution() {
    }

    /** Geometry of one convolution; computes output sizes once. */
    public record Shape(int n, int c, int h, int w, int outC, int kh, int kw, int stride, int pad) {
        public int oh() {
            return Conv2dKernels.outSize(h, kh, stride, pad);
        }

        public int ow() {
            return Conv2dKernels.outSize(w, kw, stride, pad);
        }

        int colRows() {
            return c * kh * kw;
        }

        int colCols() {
            return oh() * ow();
        }

        boolean direct() {
            return Conv2dKernels.isPointwise(kh, kw, stride, pad);
        }
    }

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[6][0]);

    /**
     * A per-thread buffer of at least {@code size} floats, grown on demand. Slots 0–2 hold a
     * convolution's operands; slot 3 one image inside a parallel loop (a worker may be the
     * thread that called, with slots 0–2 in use); slots 4–5 {@link PaddedWinograd}'s V and M.
     */
    static float[] scratch(int slot, int size) {
        float[][] s = SCRATCH.get();
        if (s[slot].length < size) {
            s[slot] = new float[size];
        }
        return s[slot];
    }

    /**
     * The lowered input of a batched forward, kept by the caller (a Conv2d) so the backward
     * that follows multiplies it again instead of lowering x a second time. The buffer is
     * allocated once and reused. A lowering larger than {@link #KEEP_MAX_BYTES} (set with
     * {@code -Dresnet4j.conv.keepMB}, 0 to disable) is not kept, and backward recomputes it.
     * resnet18 at batch 128 on 28–32 px inputs keeps about 150 MB in all.
     */
    public static final class Saved {
        private float[] col = new float[0];
        private Shape shape;
        private float[] input;

        /** This buffer grown to {@code size} floats, or null when that is over the limit. */
        private float[] claim(int size) {
            if (4L * size > KEEP_MAX_BYTES) {
                return null;
            }
            if (col.length < size) {
                col = new float[size];
            }
            return col;
        }
    }

    static final long KEEP_MAX_BYTES = Long.getLong("resnet4j.conv.keepMB", 64) << 20;

    /**
     * Below this many output pixels per image, the whole batch is lowered into one column
     * matrix [C·kh·kw, N·OH·OW] and multiplied once: per-image products at the late stages of a
     * small input (7×7, 2×2, 1×1 outputs) are too thin for the GEMM to reach speed. From a
     * 28×28 map (784 pixels) on, per-image products are wide enough, and their row-copy
     * im2col beats the table gather (at 224 px, batch 16: ~15 % less CPU than batching
     * layer2). {@code -Dresnet4j.conv.batchedBelow=N} overrides, for experiments.
     */
    static final int BATCHED_BELOW = Integer.getInteger("resnet4j.conv.batchedBelow", 512);

    static boolean batched(Shape s) {
        return s.n() > 1 && s.colCols() < BATCHED_BELOW;
    }

    private static final java.util.Map<Shape, Lowering> LOWERINGS = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * For small feature maps, the lowering of one image as a table: entry q·P + j is the offset
     * in the image that column-matrix entry (q, j) reads, or C·H·W + j for padding: past the
     * image, in a tail of P cells that reads as zero for the gather and takes the padding's
     * share for the scatter, so neither loop needs a branch (one cell per column j, so those
     * adds do not all chain on one store). One gather loop then replaces thousands of tiny row
     * copies (a 7×7 map has
     * 7-float rows; a 1×1 map, 1-float rows).
     *
     * <p>Rows that read only padding (a 3×3 kernel over a 1×1 map has 8 such taps per channel)
     * are left out: {@code live} lists the rows of the full [C·kh·kw] lowering that remain, or
     * is null when all do. Their weights multiply zeros, so dropping them changes no result
     * and, on ResNet's last stage at 28–32 px inputs, removes 8/9 of the work.
     */
    private record Lowering(int rows, int[] idx, int[] live) {
        static Lowering of(Shape s) {
            Shape key = new Shape(1, s.c(), s.h(), s.w(), 1, s.kh(), s.kw(), s.stride(), s.pad());
            return LOWERINGS.computeIfAbsent(key, Lowering::build);
        }

        private static Lowering build(Shape g) {
            int p = g.colCols();
            int k = g.colRows();
            int[] full = new int[k * p];
            int[] live = new int[k];
            int rows = 0;
            int pad = g.c() * g.h() * g.w();
            for (int ci = 0; ci < g.c(); ci++) {
                for (int ki = 0; ki < g.kh(); ki++) {
                    for (int kj = 0; kj < g.kw(); kj++) {
                        int r = (ci * g.kh() + ki) * g.kw() + kj;
                        boolean any = false;
                        for (int oy = 0; oy < g.oh(); oy++) {
                            int iy = oy * g.stride() - g.pad() + ki;
                            for (int ox = 0; ox < g.ow(); ox++) {
                                int ix = ox * g.stride() - g.pad() + kj;
                                boolean inside = iy >= 0 && iy < g.h() && ix >= 0 && ix < g.w();
                                int j = oy * g.ow() + ox;
                                full[rows * p + j] = inside ? (ci * g.h() + iy) * g.w() + ix : pad + j;
                                any |= inside;
                            }
                        }
                        if (any) {
                            live[rows++] = r;
                        }
                    }
                }
            }
            if (rows == k) {
                return new Lowering(k, full, null);
            }
            return new Lowering(rows, java.util.Arrays.copyOf(full, rows * p), java.util.Arrays.copyOf(live, rows));
        }

        /** w[outC, C·kh·kw] restricted to the live columns, [outC, rows] (w itself if all live). */
        float[] weights(float[] w, int outC, int k, int slot) {
            if (live == null) {
                return w;
            }
            float[] wl = scratch(slot, outC * rows);
            for (int o = 0; o < outC; o++) {
                for (int q = 0; q < rows; q++) {
                    wl[o * rows + q] = w[o * k + live[q]];
                }
            }
            return wl;
        }
    }

    /**
     * Images per group in the batched gather and scatter: a group's images (≤ 256 KiB) stay
     * in L2 while every row of the table is applied to them, and each row of the column
     * matrix is then written (or read) as one run of group·P floats. Image by image, each
     * image would touch all K rows, a page apart for the larger maps: a TLB miss per row.
     */
    private static int groupSize(int inSize) {
        return Math.max(1, (64 << 10) / inSize);
    }

    /** The work on one group of images [i0, i0 + gn), with a per-thread buffer of group·(inSize + P) floats. */
    private interface GroupWork {
        void run(int i0, int gn, float[] buf);
    }

    /**
     * Splits the batch into L2-sized groups of images ({@link #groupSize}) and runs {@code work}
     * on them in parallel: the shared frame of the gather and its adjoint, the scatter.
     */
    private static void forEachImageGroup(Shape s, GroupWork work) {
        int n = s.n();
        int inSize = s.c() * s.h() * s.w();
        int stride = inSize + s.colCols();
        int group = groupSize(inSize);
        int groups = (n + group - 1) / group;
        Parallel.forRange(groups, 1, (lo, hi) -> {
            float[] buf = scratch(3, group * stride);
            for (int gi = lo; gi < hi; gi++) {
                int i0 = gi * group;
                work.run(i0, Math.min(group, n - i0), buf);
            }
        });
    }

    /** Lowers every image into one [rows, N·P] matrix; workers split the image groups. */
    private static float[] lowerBatch(Shape s, Lowering low, float[] x, float[] col) {
        int p = s.colCols();
        int ld = s.n() * p;
        int rows = low.rows();
        int inSize = s.c() * s.h() * s.w();
        int stride = inSize + p;
        int[] idx = low.idx();
        forEachImageGroup(s, (i0, gn, img) -> {
            // the group's images with a zero after each, for the table's padding entries
            for (int i = 0; i < gn; i++) {
                System.arraycopy(x, (i0 + i) * inSize, img, i * stride, inSize);
                java.util.Arrays.fill(img, i * stride + inSize, (i + 1) * stride, 0f);
            }
            for (int r = 0; r < rows; r++) {
                int t = r * p;
                for (int i = 0; i < gn; i++) {
                    int dst = r * ld + (i0 + i) * p;
                    int src = i * stride;
                    for (int j = 0; j < p; j++) {
                        col[dst + j] = img[src + idx[t + j]];
                    }
                }
            }
        });
        return col;
    }

    /** The adjoint of {@link #lowerBatch}: dx = scatter-add of dcol [rows, N·P]. */
    private static void scatterBatch(Shape s, Lowering low, float[] dcol, float[] dx) {
        int p = s.colCols();
        int ld = s.n() * p;
        int rows = low.rows();
        int inSize = s.c() * s.h() * s.w();
        int stride = inSize + p;
        int[] idx = low.idx();
        forEachImageGroup(s, (i0, gn, acc) -> {
            java.util.Arrays.fill(acc, 0, gn * stride, 0f);
            for (int r = 0; r < rows; r++) {
                int t = r * p;
                for (int i = 0; i < gn; i++) {
                    int src = r * ld + (i0 + i) * p;
                    int base = i * stride;
                    for (int j = 0; j < p; j++) {
                        acc[base + idx[t + j]] += dcol[src + j];
                    }
                }
            }
            for (int i = 0; i < gn; i++) {
                System.arraycopy(acc, i * stride, dx, (i0 + i) * inSize, inSize);
            }
        });
    }

    private static void forwardBatched(Shape s, float[] x, float[] w, float[] bias, float[] residual, boolean relu,
                                       float[] y, Saved keep) {
        Lowering low = Lowering.of(s);
        int k = low.rows();
        int p = s.colCols();
        int ld = s.n() * p;
        int outC = s.outC();
        float[] col = keep == null ? null : keep.claim(k * ld);
        if (keep != null) {
            keep.shape = col == null ? null : s;
            keep.input = col == null ? null : x;
        }
        col = lowerBatch(s, low, x, col != null ? col : scratch(0, k * ld));
        float[] out = scratch(1, outC * ld);
        Gemm.sgemm(false, false, outC, ld, k, low.weights(w, outC, s.colRows(), 2), 0, k, col, 0, ld, out, 0, ld, false);
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

    private static void backwardBatched(Shape s, float[] x, float[] w, float[] dy, float[] dx, float[] dw, Saved keep) {
        Lowering low = Lowering.of(s);
        int k = low.rows();
        int kFull = s.colRows();
        int p = s.colCols();
        int ld = s.n() * p;
        int outC = s.outC();
        int inSize = s.c() * s.h() * s.w();
        float[] col;
        if (keep != null && s.equals(keep.shape) && keep.input == x) {
            col = keep.col;
            keep.shape = null; // consumed: its memory becomes the input gradient's columns below
            keep.input = null;
        } else {
            col = lowerBatch(s, low, x, scratch(0, k * ld));
        }
        float[] dyt = scratch(1, outC * ld);
        Parallel.forRange(s.n(), 1, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                for (int o = 0; o < outC; o++) {
                    System.arraycopy(dy, (i * outC + o) * p, dyt, o * ld + i * p, p);
                }
            }
        });
        int[] live = low.live();
        if (live == null) {
            Gemm.sgemm(false, true, outC, k, ld, dyt, 0, ld, col, 0, ld, dw, 0, k, true);
        } else {
            float[] dwl = scratch(2, outC * k);
            Gemm.sgemm(false, true, outC, k, ld, dyt, 0, ld, col, 0, ld, dwl, 0, k, false);
            for (int o = 0; o < outC; o++) {
                for (int q = 0; q < k; q++) {
                    dw[o * kFull + live[q]] += dwl[o * k + q];
                }
            }
        }
        if (dx != null) {
            float[] dcol = col; // the lowered input is no longer needed: reuse its memory
            Gemm.sgemm(true, false, k, ld, outC, low.weights(w, outC, kFull, 2), 0, k, dyt, 0, ld, dcol, 0, ld, false);
            scatterBatch(s, low, dcol, dx);
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
        forward(s, x, w, bias, residual, relu, y, null);
    }

    /**
     * As above; when {@code keep} is non-null and the batched path runs, the lowered input is
     * left in it for {@link #backward(Shape, float[], float[], float[], float[], float[], float[], Saved)}.
     */
    public static void forward(Shape s, float[] x, float[] w, float[] bias, float[] residual, boolean relu, float[] y,
                               Saved keep) {
        if (keep == null && subsampled(s)) {
            forwardSubsampled(s, x, w, bias, residual, relu, y);
            return;
        }
        if (batched(s) && !(keep == null && indirectOverBatched(s))) {
            forwardBatched(s, x, w, bias, residual, relu, y, keep);
            return;
        }
        int p = s.colCols();
        int inSize = s.c() * s.h() * s.w();
        int outSize = s.outC() * p;
        if (s.n() < Parallel.threads()) {
            // Fewer images than workers (batch-1 inference): split each image's lowering over
            // its channels (or, indirect, the columns of its product) and its epilogue over the
            // output channels; the GEMM splits itself. Otherwise those passes run on one core
            // while the others wait.
            for (int i = 0; i < s.n(); i++) {
                int yi = i * outSize;
                if (indirect(s)) {
                    forwardIndirect(s, x, i * inSize, w, bias, residual, relu, y, yi, true);
                    continue;
                }
                product(s, x, i * inSize, w, y, yi);
                if (bias != null || residual != null || relu) {
                    Parallel.forRangeBalanced(s.outC(), Math.max(1, s.outC() / 64), (lo, hi) -> {
                        for (int o = lo; o < hi; o++) {
                            epilogueRow(y, yi + o * p, y, yi + o * p, p, bias == null ? 0f : bias[o], residual, relu);
                        }
                    });
                }
            }
            return;
        }
        Parallel.forRangeBalanced(s.n(), 1, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                if (indirect(s)) {
                    forwardIndirect(s, x, i * inSize, w, bias, residual, relu, y, i * outSize, false);
                    continue;
                }
                product(s, x, i * inSize, w, y, i * outSize);
                epilogue(y, i * outSize, y, i * outSize, s.outC(), p, bias, residual, relu);
            }
        });
    }

    /**
     * Whether an inference convolution runs as {@link #forwardSubsampled}: a 1×1 kernel with a
     * stride above 1 and no padding (ResNet's projection shortcuts), with the vector kernel in
     * use. {@code -Dresnet4j.conv.subsampled=false} turns it off; tests flip {@link #SUBSAMPLED}.
     */
    static boolean subsampled(Shape s) {
        return SUBSAMPLED && s.kh() == 1 && s.kw() == 1 && s.stride() > 1 && s.pad() == 0 && Gemm.vectorInUse();
    }

    static boolean SUBSAMPLED = !"false".equals(System.getProperty("resnet4j.conv.subsampled"));

    /**
     * A strided 1×1 convolution in inference (ResNet's projection shortcuts). The pixels it
     * reads are gathered into a [C, columns] matrix, multiplied by W with B panels packed from
     * it ({@link Gemm#indirect}), and each tile gets the epilogue as it is stored, so y is
     * written once. The general path lowered with im2col, packed that again in sgemm, and ran
     * the epilogue as a pass of its own over y: at batch 16 that pass alone took a third of
     * layer2's shortcut.
     *
     * <p>With at least as many images as workers each worker takes whole images. With fewer,
     * each image's output columns are cut into pieces of whole panels (up to 8 a worker, shared
     * out by {@link Parallel#forRangeBalanced}), each piece gathering its own columns; or, when
     * there are too few columns for two panels a worker (a 7×7 map at batch 1: 49), its output
     * channels, each piece reading its rows of W. The sums are those of im2col + sgemm (same
     * depth blocks, same kernel): the same bits.
     */
    private static void forwardSubsampled(Shape s, float[] x, float[] w, float[] bias, float[] residual,
                                          boolean relu, float[] y) {
        int c = s.c();
        int m = s.outC();
        int p = s.colCols();
        int n = s.n();
        int nr = Gemm.NR;
        int mr = Gemm.MR;
        int panels = (p + nr - 1) / nr;
        int colChunks = 1;
        int rowChunks = 1;
        int t = Parallel.threads();
        if (n < t) {
            // several pieces a worker, so that a faster core can take over a slower one's
            int per = 8 * ((t + n - 1) / n);
            if (p <= Gemm.SMALL_N && panels < per / 4) {
                rowChunks = Math.min(per, (m + mr - 1) / mr);
            } else {
                colChunks = Math.min(per, panels);
            }
        }
        int ld = (panels + colChunks - 1) / colChunks * nr; // the widest chunk, in whole panels
        float[] pa = null;
        if (Math.min(p, ld) > Gemm.SMALL_N) { // Gemm.indirect reads A packed for wide chunks, in place otherwise
            pa = scratch(2, Gemm.packedSize(m, c));
            Gemm.packAll(w, m, c, pa);
        }
        float[] packed = pa;
        int[] rows = new int[c];
        for (int q = 0; q < c; q++) {
            rows[q] = q * ld;
        }
        int cc = colChunks;
        int rc = rowChunks;
        int rowPanels = (m + mr - 1) / mr;
        Parallel.forRangeBalanced(n * cc * rc, 1, (lo, hi) -> {
            float[] xs = scratch(0, c * ld);
            for (int u = lo; u < hi; u++) {
                int i = u / (cc * rc);
                int ci = u / rc % cc;
                int ri = u % rc;
                int j0 = panels * ci / cc * nr;
                int j1 = Math.min(p, panels * (ci + 1) / cc * nr);
                int m0 = rowPanels * ri / rc * mr;
                int m1 = Math.min(m, rowPanels * (ri + 1) / rc * mr);
                if (j0 >= j1 || m0 >= m1) {
                    continue;
                }
                gatherSubsampled(s, x, i * c * s.h() * s.w(), j0, j1, xs, ld);
                Gemm.indirect(m1 - m0, c, w, m0 * c, packed, xs, rows, 0, j1 - j0, y, (i * m + m0) * p + j0, p,
                        true, bias, m0, residual, relu);
            }
        });
    }

    /** xs[q·ld + j − j0] = x[q, oy·s, ox·s] for output pixels j = oy·OW + ox in [j0, j1), every channel q. */
    private static void gatherSubsampled(Shape s, float[] x, int xOff, int j0, int j1, float[] xs, int ld) {
        int st = s.stride();
        int wd = s.w();
        int ow = s.ow();
        int plane = s.h() * wd;
        for (int q = 0; q < s.c(); q++) {
            int d = q * ld - j0;
            for (int j = j0, oy = j0 / ow, ox = j0 % ow; j < j1; oy++, ox = 0) {
                int run = Math.min(ow - ox, j1 - j);
                int src = xOff + q * plane + oy * st * wd + ox * st;
                for (int r = 0; r < run; r++, src += st) {
                    xs[d + j + r] = x[src];
                }
                j += run;
            }
        }
    }

    /**
     * Whether a convolution runs as an indirect product ({@link #forwardIndirect}): any
     * kernel larger than 1×1, when either the output channels are few (≤ {@code Gemm.MC}: the
     * stem and the 64- and 128-channel 3×3 convolutions, where packing B from a formed
     * lowering cost about as much as the arithmetic) or the columns are (≤ {@code SMALL_N}: the
     * late layers at batch 1), and not when the grid's extra columns would add more than 1/7
     * to the panels. Needs the vector kernel; {@code -Dresnet4j.conv.indirect=false} turns it
     * off (and tests flip {@link #INDIRECT} to compare the two paths).
     */
    static boolean indirect(Shape s) {
        if (!INDIRECT || s.kh() * s.kw() == 1 || !Gemm.vectorInUse()) {
            return false;
        }
        int st = s.stride();
        long wq = (s.w() + 2L * s.pad() + st - 1) / st;
        long hq = (s.h() + 2L * s.pad() + st - 1) / st;
        long g = s.oh() * wq;
        if (s.outC() > Gemm.MC && g > Gemm.SMALL_N) {
            return false;
        }
        long panels = (g + Gemm.NR - 1) / Gemm.NR;
        long needed = (s.colCols() + Gemm.NR - 1) / Gemm.NR;
        return panels * 7 <= needed * 8 && (long) s.c() * st * st * hq * wq + wq < Integer.MAX_VALUE / 2;
    }

    /**
     * Whether a small-map convolution that the batched gather path would take runs image by
     * image as an indirect product instead (inference only: training keeps the batched
     * lowering for its backward). Worth it once an image's grid has a few panels, so that
     * each weight read meets several of them: at 224 px, layer3 (14×14: 7 panels) takes
     * ~20 % less CPU this way; layer4 (7×7: 2 panels) stays batched.
     */
    static boolean indirectOverBatched(Shape s) {
        if (!indirect(s)) {
            return false;
        }
        long wq = (s.w() + 2L * s.pad() + s.stride() - 1) / s.stride();
        return s.oh() * wq >= 4L * Gemm.NR;
    }

    static boolean INDIRECT = !"false".equals(System.getProperty("resnet4j.conv.indirect"));

    /**
     * One image's convolution with its epilogue, B read in place. The image is copied once
     * into zero-padded phase planes: plane (a, b) of channel c holds
     * {@code xp[c, s·i + a, s·j + b]}, xp the image padded to Hp × Wp, s the stride (at stride 1
     * the one plane is the padded image). The product is computed over a grid of OH rows of
     * Wq = ⌈Wp/s⌉ columns, where kernel tap (c, ki, kj) reads column j of plane
     * (ki mod s, kj mod s) at offset ⌊ki/s⌋·Wq + ⌊kj/s⌋ + j: one contiguous run per tap, so a
     * B panel is packed with one vector copy per k step, with no index arithmetic or padding
     * cases ({@link Gemm#indirect}), and no [C·kh·kw, OH·OW] matrix is written and read back
     * (7 MB an image at 56×56 with 64 channels). The Wq − OW extra columns of each grid row
     * (2–7 % on ResNet's large maps) are dropped by the epilogue, which copies the grid into y.
     * Bit-identical to im2col + sgemm. {@code split}: divide the columns and the epilogue among
     * the workers (one image, several threads).
     */
    private static void forwardIndirect(Shape s, float[] x, int xOff, float[] w, float[] bias, float[] residual,
                                        boolean relu, float[] y, int yOff, boolean split) {
        int c = s.c();
        int h = s.h();
        int wd = s.w();
        int pad = s.pad();
        int st = s.stride();
        int hq = (h + 2 * pad + st - 1) / st;
        int wq = (wd + 2 * pad + st - 1) / st;
        int oh = s.oh();
        int ow = s.ow();
        int m = s.outC();
        int k = s.colRows();
        int g = oh * wq;
        int plane = hq * wq;
        int planes = c * st * st * plane;
        // the planes, and past them room for the last panel's overhang (read, never used)
        float[] xp = scratch(0, planes + wq + Gemm.NR);
        if (split) {
            Parallel.forRangeBalanced(c, Math.max(1, c / 64), (lo, hi) -> phasePlanes(s, x, xOff, lo, hi, xp));
        } else {
            phasePlanes(s, x, xOff, 0, c, xp);
        }
        java.util.Arrays.fill(xp, planes, planes + wq + Gemm.NR, 0f);
        int[] rows = TAP_ROWS.computeIfAbsent(new Shape(1, c, h, wd, 1, s.kh(), s.kw(), st, pad),
                key -> tapRows(key, wq, plane));
        float[] pa = null;
        if (g > Gemm.SMALL_N) {
            pa = scratch(2, Gemm.packedSize(m, k));
            Gemm.packAll(w, m, k, pa);
        }
        float[] packed = pa;
        float[] grid = scratch(1, m * g);
        int panels = (g + Gemm.NR - 1) / Gemm.NR;
        if (split && g < m) {
            // few columns (late layers): split the rows instead, as sgemm would, so that each
            // worker reads half of the weights rather than all of them
            Parallel.forRangeBalanced((m + Gemm.MR - 1) / Gemm.MR, 1, (lo, hi) -> {
                int m0 = lo * Gemm.MR;
                int m1 = Math.min(m, hi * Gemm.MR);
                Gemm.indirect(m1 - m0, k, w, m0 * k, null, xp, rows, 0, g, grid, m0 * g, g);
            });
            Parallel.forRangeBalanced(m, Math.max(1, m / 64),
                    (lo, hi) -> compact(grid, g, wq, oh, ow, lo, hi, bias, residual, relu, y, yOff));
        } else if (split) {
            Parallel.forRangeBalanced(panels, 1, (lo, hi) -> Gemm.indirect(m, k, w, 0, packed, xp, rows, lo * Gemm.NR,
                    Math.min(g, hi * Gemm.NR), grid, 0, g));
            Parallel.forRangeBalanced(m, Math.max(1, m / 64),
                    (lo, hi) -> compact(grid, g, wq, oh, ow, lo, hi, bias, residual, relu, y, yOff));
        } else {
            Gemm.indirect(m, k, w, 0, packed, xp, rows, 0, g, grid, 0, g);
            compact(grid, g, wq, oh, ow, 0, m, bias, residual, relu, y, yOff);
        }
    }

    /** {@link #tapRows} per input geometry (batch and output channels set to 1), made once. */
    private static final java.util.Map<Shape, int[]> TAP_ROWS = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Where each kernel tap (c, ki, kj), row q = (c·kh + ki)·kw + kj of the product's B, starts
     * in the phase planes of {@link #forwardIndirect}: plane (ki mod s, kj mod s) of channel c,
     * offset ⌊ki/s⌋·Wq + ⌊kj/s⌋ (planes of {@code plane} floats, rows of {@code wq}).
     */
    static int[] tapRows(Shape s, int wq, int plane) {
        int st = s.stride();
        int taps = s.kh() * s.kw();
        int[] rows = new int[s.colRows()];
        for (int q = 0; q < rows.length; q++) {
            int ci = q / taps;
            int ki = (q - ci * taps) / s.kw();
            int kj = q - ci * taps - ki * s.kw();
            rows[q] = (ci * st * st + (ki % st) * st + kj % st) * plane + (ki / st) * wq + kj / st;
        }
        return rows;
    }

    /**
     * Channels [c0, c1) of x (one image at xOff) into the zero-padded phase planes of
     * {@link #forwardIndirect}: plane (a, b) of channel c at (c·s² + a·s + b)·Hq·Wq holds
     * {@code xp[c, s·i + a, s·j + b]}. Planes no kernel tap reads are zeroed.
     */
    static void phasePlanes(Shape s, float[] x, int xOff, int c0, int c1, float[] xp) {
        int h = s.h();
        int wd = s.w();
        int pad = s.pad();
        int st = s.stride();
        int hq = (h + 2 * pad + st - 1) / st;
        int wq = (wd + 2 * pad + st - 1) / st;
        int plane = hq * wq;
        boolean[] used = new boolean[st * st];
        for (int ki = 0; ki < s.kh(); ki++) {
            for (int kj = 0; kj < s.kw(); kj++) {
                used[(ki % st) * st + kj % st] = true;
            }
        }
        for (int ci = c0; ci < c1; ci++) {
            for (int ph = 0; ph < st * st; ph++) {
                int d0 = (ci * st * st + ph) * plane;
                if (!used[ph]) {
                    java.util.Arrays.fill(xp, d0, d0 + plane, 0f);
                    continue;
                }
                int a = ph / st;
                int b = ph % st;
                // plane column j reads image column st·j + b − pad: inside for j in [jLo, jHi)
                int jLo = Math.min(wq, Math.max(0, (pad - b + st - 1) / st));
                int jHi = Math.max(jLo, Math.min(wq, (wd + pad - b + st - 1) / st));
                for (int i = 0; i < hq; i++) {
                    int d = d0 + i * wq;
                    int iy = st * i + a - pad;
                    if (iy < 0 || iy >= h) {
                        java.util.Arrays.fill(xp, d, d + wq, 0f);
                        continue;
                    }
                    java.util.Arrays.fill(xp, d, d + jLo, 0f);
                    int src = xOff + (ci * h + iy) * wd + st * jLo + b - pad;
                    if (st == 1) {
                        System.arraycopy(x, src, xp, d + jLo, jHi - jLo);
                    } else {
                        for (int j = jLo; j < jHi; j++, src += st) {
                            xp[d + j] = x[src];
                        }
                    }
                    java.util.Arrays.fill(xp, d + jHi, d + wq, 0f);
                }
            }
        }
    }

    /** y[o, oy, ox] = epilogue(grid[o, oy·wq + ox]) for channels [lo, hi): drops the grid's extra columns. */
    private static void compact(float[] grid, int g, int wq, int oh, int ow, int lo, int hi, float[] bias,
                                float[] residual, boolean relu, float[] y, int yOff) {
        for (int o = lo; o < hi; o++) {
            float b = bias == null ? 0f : bias[o];
            for (int oy = 0; oy < oh; oy++) {
                epilogueRow(grid, o * g + oy * wq, y, yOff + (o * oh + oy) * ow, ow, b, residual, relu);
            }
        }
    }

    /** y[outC, OH·OW] at yOff = W · im2col(x at xOff), for one image. */
    private static void product(Shape s, float[] x, int xOff, float[] w, float[] y, int yOff) {
        int k = s.colRows();
        int p = s.colCols();
        if (s.direct()) {
            Gemm.sgemm(false, false, s.outC(), p, k, w, 0, k, x, xOff, p, y, yOff, p, false);
        } else {
            float[] col = scratch(0, k * p);
            if (s.n() < Parallel.threads()) {
                int plane = s.h() * s.w();
                int rowsPerChannel = s.kh() * s.kw() * p;
                Parallel.forRangeBalanced(s.c(), 1, (lo, hi) -> Conv2dKernels.im2col(x, xOff + lo * plane, hi - lo, s.h(),
                        s.w(), s.kh(), s.kw(), s.stride(), s.pad(), col, lo * rowsPerChannel));
            } else {
                Conv2dKernels.im2col(x, xOff, s.c(), s.h(), s.w(), s.kh(), s.kw(), s.stride(), s.pad(), col, 0);
            }
            Gemm.sgemm(false, false, s.outC(), p, k, w, 0, k, col, 0, p, y, yOff, p, false);
        }
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
        backward(s, x, w, dy, dx, dw, dbias, null);
    }

    /**
     * As above, reusing the lowered input a forward left in {@code keep} (if it is there and
     * for the same shape; x must be the array that forward lowered, unchanged since).
     */
    public static void backward(Shape s, float[] x, float[] w, float[] dy, float[] dx, float[] dw, float[] dbias,
                                Saved keep) {
        if (batched(s)) {
            backwardBatched(s, x, w, dy, dx, dw, keep);
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
            // Each chunk accumulates its own weight gradient; they are summed afterwards in chunk
            // order, so the result does not depend on which thread finished first.
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
                    Conv2dKernels.im2col(x, i * inSize, s.c(), s.h(), s.w(), s.kh(), s.kw(), s.stride(), s.pad(), col, 0);
                }
                Gemm.sgemm(false, true, s.outC(), k, p, dy, i * outSize, p, col, colOff, p, dwLocal, 0, k, true);
                if (dx != null) {
                    if (s.direct()) {
                        Gemm.sgemm(true, false, k, p, s.outC(), w, 0, k, dy, i * outSize, p, dx, i * inSize, p, false);
                    } else {
                        float[] dcol = scratch(1, k * p);
                        Gemm.sgemm(true, false, k, p, s.outC(), w, 0, k, dy, i * outSize, p, dcol, 0, p, false);
                        java.util.Arrays.fill(dx, i * inSize, (i + 1) * inSize, 0f);
                        Conv2dKernels.col2im(dcol, 0, s.c(), s.h(), s.w(), s.kh(), s.kw(), s.stride(), s.pad(), dx, i * inSize);
                    }
                }
            }
            // forRange's chunk c starts at floor(n·c/chunks), so c = ceil(lo·chunks/n)
            partial[(int) Math.ceil((double) lo * partial.length / s.n())] = dwLocal;
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
}
