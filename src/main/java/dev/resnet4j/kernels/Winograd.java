package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;

import java.util.Arrays;

/**
 * Winograd convolution F(m×m, 3×3) for 3×3, stride-1, padding-1 convolutions in inference, with
 * the same fused epilogue as {@link Convolution#forward}: y = conv(x, w) + bias (+ residual),
 * then ReLU if asked.
 *
 * <p>The output is cut into m×m tiles; each reads an α×α input tile (α = m + 2). With the
 * transforms {@code V = Bᵀ·d·B} of every input tile and {@code U = G·g·Gᵀ} of every 3×3 filter
 * (done once, when the plan is built), the α² products become α² independent matrix products
 * {@code M[ξ] = U[ξ]·V[ξ]} ([outC × C]·[C × tiles], the same {@link Gemm}), and each output tile
 * is {@code Aᵀ·M·A}. Per output pixel and channel pair that is α²/m² multiply-adds instead of 9:
 * 4 for F(2,3), 2.25 for F(4,3), the rest being transforms whose cost grows with C + outC rather
 * than C·outC.
 *
 * <p>The price is rounding: the transforms add and subtract values of similar size, so the
 * result is not bit-identical to the direct product and F(4,3)'s error is several times
 * F(2,3)'s. {@code WinogradTest} measures both against a double-precision reference and
 * against PyTorch; {@code -Dresnet4j.winograd=2|4|off} picks the tile (default 4).
 *
 * <p>Layout. The transforms run on {@link WinogradKernel#L} tiles at once, one tile per vector
 * lane: on large maps the tiles of one tile row (below), on maps whose tile rows would fill at
 * most half the lanes the block's tiles in order, each tile's window gathered from the image
 * first ({@code Plan.byRows}). In the row form, to make every element of those tiles one
 * contiguous vector load, each input channel is first copied into m column-phase planes of the
 * zero-padded image: plane p holds the padded image's columns p, p + m, p + 2m, …, so element
 * (i, j) of tiles t…t+L−1 is the run at row (m·tr + i), column ⌊j/m⌋ + t of plane j mod m. V and
 * M are kept as α² matrices each ([C × cols] and [outC × cols]), so the products need no other
 * rearrangement. The batch's tiles, numbered image by image, are cut into blocks
 * ({@link #blocks}) whose column count suits the GEMM and the caches; the blocks are spread over
 * the workers, and a single block splits its work instead.
 *
 * <p>Without the Vector API (or before it is compiled) the same transforms run as plain Java
 * with the same operations in the same order, so the result does not depend on which ran.
 */
public final class Winograd {
    private Winograd() {
    }

    /** The configured tile size: 4 (default), 2, or 0 for off ({@code -Dresnet4j.winograd}). */
    public static final int TILE = switch (System.getProperty("resnet4j.winograd", "4")) {
        case "off", "false", "0" -> 0;
        case "2" -> 2;
        default -> 4;
    };

    /** Columns a block has at least when its transformed weights do not fit the block's budget. */
    static final int MIN_COLUMNS = Integer.getInteger("resnet4j.winograd.columns", 128);

    /**
     * Bytes of V and M together that a block of tiles aims at. Measured, not derived: at 1 MB
     * (V and M in a 1 MB L2) layer1's blocks were 32 tiles, and every block pays a fixed cost
     * (reading all of U, filling the phase planes' edge rows, the calls): 4 MB made layer1 5 %
     * faster at batch 16 (224 tiles a block) and layer2 4 % (96), and layer3 is no different;
     * 8 MB made layer2 12 % slower ({@code WinogradBlockBench}, 2 threads, one JVM).
     * Tests and benchmarks set it.
     */
    static long BLOCK_BYTES = Long.getLong("resnet4j.winograd.blockKB", 4096) << 10;

    /**
     * Blocks each worker gets at least when U is within the budget and the tiles make blocks
     * of two panels or more: layer1 at batch 1 (196 tiles) runs as 4 blocks (64, 32, 64, 36), 8–16 %
     * faster than one block whose phases the workers split (with a barrier between them), and
     * than 7 blocks of 32. Layer2 at batch 1 (49 tiles) stays one block: two of 32 and 17
     * were 18 % slower. Tests and benchmarks set it.
     */
    static int BLOCKS_PER_WORKER = Integer.getInteger("resnet4j.winograd.blocksPerWorker", 2);

    /**
     * Below this many output pixels (counted over the tiles, so including the cut-off edges)
     * F(4,3) is not used: at batch 1, layer4's 7×7 map would read its transformed weights (4×
     * the filters) to produce 64 pixels, and layer3's 14×14 (256) was no faster than direct.
     */
    static final int MIN_PIXELS = Integer.getInteger("resnet4j.winograd.minPixels", 512);

    /**
     * Below this many output pixels F(2,3) is not used either, and the convolution stays
     * direct. Between the two thresholds F(2,3), whose transformed weights are 16/9 of the
     * filters, is the fastest of the batched forms (2 threads, interleaved in one JVM,
     * medians): layer4 at batch 2 and 4 (128, 256 pixels) 1.70 and 2.75 ms against 2.83 and
     * 4.34 direct, 4.13 and 3.67 F(4,3). At batch 1 the folded plan runs layer3 (196 pixels)
     * and layer4 (64) as {@link PackedConv} instead, which is faster still (layer3: ~0.67 ms
     * against ~0.77 F(2,3) and ~0.93 direct).
     */
    static final int MIN_PIXELS_F2 = Integer.getInteger("resnet4j.winograd.minPixelsF2", 128);

    /**
     * The tile size to run this convolution with (2 or 4), or 0 when it should stay direct:
     * only 3×3, stride 1, padding 1, and enough output pixels for the transformed weights to
     * pay off. With the default tile 4, F(2,3) runs where F(4,3) has too few pixels but
     * F(2,3) has enough ({@link #MIN_PIXELS_F2}).
     */
    public static int tileFor(Convolution.Shape s) {
        return tileFor(s, TILE);
    }

    static int tileFor(Convolution.Shape s, int m) {
        if (m == 0 || s.kh() != 3 || s.kw() != 3 || s.stride() != 1 || s.pad() != 1) {
            return 0;
        }
        if (m == 4 && pixels(s, 4) >= MIN_PIXELS) {
            return 4;
        }
        return pixels(s, 2) >= MIN_PIXELS_F2 ? 2 : 0;
    }

    private static long pixels(Convolution.Shape s, int m) {
        return (long) s.n() * ceilDiv(s.h(), m) * ceilDiv(s.w(), m) * m * m;
    }

    /**
     * The filters w [outC, C, 3, 3] transformed for F(m, 3): U[ξ][o][c] = (G·w[o, c]·Gᵀ)[ξ]
     * for ξ = i·α + j, in double and rounded once.
     */
    public static float[] transformWeights(int m, float[] w, int outC, int c) {
        double[][] g = m == 2 ? G2 : G4;
        int a = m + 2;
        float[] u = new float[a * a * outC * c];
        double[] gw = new double[a * 3];
        for (int o = 0; o < outC; o++) {
            for (int ci = 0; ci < c; ci++) {
                int f = (o * c + ci) * 9;
                for (int i = 0; i < a; i++) {
                    for (int q = 0; q < 3; q++) {
                        double v = 0;
                        for (int p = 0; p < 3; p++) {
                            v += g[i][p] * w[f + p * 3 + q];
                        }
                        gw[i * 3 + q] = v;
                    }
                }
                for (int i = 0; i < a; i++) {
                    for (int j = 0; j < a; j++) {
                        double v = 0;
                        for (int q = 0; q < 3; q++) {
                            v += gw[i * 3 + q] * g[j][q];
                        }
                        u[((i * a + j) * outC + o) * c + ci] = (float) v;
                    }
                }
            }
        }
        return u;
    }

    private static final double[][] G2 = {
            {1, 0, 0},
            {0.5, 0.5, 0.5},
            {0.5, -0.5, 0.5},
            {0, 0, 1}};

    private static final double[][] G4 = {
            {1 / 4.0, 0, 0},
            {-1 / 6.0, -1 / 6.0, -1 / 6.0},
            {-1 / 6.0, 1 / 6.0, -1 / 6.0},
            {1 / 24.0, 1 / 12.0, 1 / 6.0},
            {1 / 24.0, -1 / 12.0, 1 / 6.0},
            {0, 0, 1}};

    /**
     * Whether the gathered layout (small maps) loads its tile windows with vector gathers from
     * a zero-padded copy of each channel ({@link WinogradKernel#input4Gathered}) rather than
     * copying them window by window: 12–20 % less time on 28×28 and 14×14 maps at batch 16
     * (interleaved runs, on JDK 25 and on 17). Masked vector scatters for the output tiles
     * measured no faster than storing value by value, so the output side stays scalar.
     * {@code -Dresnet4j.winograd.gather=false} turns it off; tests flip it to compare.
     */
    static boolean GATHER = Boolean.parseBoolean(
            System.getProperty("resnet4j.winograd.gather", "true"));

    /**
     * Whether the phase planes and output rows are (de)interleaved with vector rearranges
     * ({@link WinogradKernel#phaseRow}, {@link WinogradKernel#storeRow}) or by plain loops:
     * by default where they compile to permutes ({@link WinogradKernel#SHUFFLES}); tests flip
     * it to compare the two on any JDK.
     */
    static boolean INTERLEAVE = WinogradKernel.SHUFFLES;

    /** Tiles per transform: the vector kernel's lanes, mirrored by the plain one. */
    static final int L = Gemm.VECTOR ? GemmVectorKernel.L : 8;

    /**
     * y = conv(x, w) + bias (+ residual), ReLU if {@code relu}, for a 3×3 / stride 1 / padding 1
     * shape, with {@code u} = {@link #transformWeights}(m, w, …). bias and residual may be null.
     */
    public static void forward(int m, Convolution.Shape s, float[] x, float[] u, float[] bias, float[] residual,
                               boolean relu, float[] y) {
        if (m != 2 && m != 4) {
            throw new IllegalArgumentException("Winograd tile must be 2 or 4, got " + m);
        }
        if (s.kh() != 3 || s.kw() != 3 || s.stride() != 1 || s.pad() != 1) {
            throw new IllegalArgumentException("Winograd needs a 3×3, stride 1, padding 1 convolution, got " + s);
        }
        Plan p = new Plan(m, s);
        int[][] blocks = blocks(p, s.n(), Parallel.threads());
        // whole blocks a worker when there are at least two each, so that a faster core can take
        // over a slower one's; with fewer (layer3 at batch 16: two) the workers share each
        // block's phases instead (batch-16 forward with another process running beside it:
        // 258 -> 252 and 325 -> 305 ms in two runs; quiet: equal)
        if (blocks.length >= 2 * Parallel.threads() && Parallel.threads() > 1) {
            Parallel.forRangeBalanced(blocks.length, 1, (lo, hi) -> {
                for (int q = lo; q < hi; q++) {
                    block(p, x, u, bias, residual, relu, y, blocks[q], false);
                }
            });
        } else {
            for (int[] b : blocks) {
                block(p, x, u, bias, residual, relu, y, b, Parallel.threads() > 1);
            }
        }
    }

    /**
     * The work cut into blocks {c0, c1} of the batch's tiles, numbered image by image, row by
     * row ({@code i·tiles + tr·tx + tc}); a block may start and end in the middle of a tile
     * row. Each block is a multiple of the GEMM's panel width (a last, shorter one aside), so
     * the products waste no columns, and its V and M (α²·(C + outC)·4 bytes a column) aim at
     * {@link #BLOCK_BYTES}; but at least {@link #MIN_COLUMNS} columns when the transformed
     * weights are larger than that, since every block reads them again; and, when they are
     * not, at least {@link #BLOCKS_PER_WORKER} blocks a worker of at least two panels each. The
     * count is rounded up to a multiple of the workers, and the blocks' ends to the nearest
     * panel, so that each worker's share of the tiles is even to a panel.
     */
    static int[][] blocks(Plan p, int n, int threads) {
        long total = (long) n * p.tiles;
        long perColumn = 4L * p.a * p.a * (p.c + p.outC);
        long weights = 4L * p.a * p.a * p.c * p.outC;
        int nr = Gemm.NR;
        long cols = Math.max(nr, BLOCK_BYTES / perColumn / nr * nr);
        if (weights > BLOCK_BYTES) {
            cols = Math.max(cols, MIN_COLUMNS);
        }
        int count = (int) Math.max(1, (total + cols - 1) / cols);
        if (threads > 1 && weights <= BLOCK_BYTES) {
            // small transformed weights, cheap to read again: more blocks, so that the workers share the tiles evenly
            count = (int) Math.max(count, Math.min((long) BLOCKS_PER_WORKER * threads, total / (2L * nr)));
        }
        if (count > 1 && count % threads != 0) {
            count += threads - count % threads;
        }
        // block q ends at q/count of the tiles, rounded to the nearest panel: blocks of whole
        // panels (the last aside) that still split evenly among the workers (at batch 1,
        // layer1's 196 tiles as 64, 32, 64, 36: 96 and 100 a worker, not 128 and 68)
        java.util.List<int[]> b = new java.util.ArrayList<>();
        long start = 0;
        for (int q = 1; q <= count; q++) {
            long end = q == count ? total : Math.min(total, (total * q / count + nr / 2) / nr * nr);
            if (end > start) {
                b.add(new int[]{(int) start, (int) end});
                start = end;
            }
        }
        return b.toArray(new int[0][]);
    }

    /** Sizes derived from the tile and the shape. */
    static final class Plan {
        final int m;
        final int a;
        final int c;
        final int outC;
        final int h;
        final int w;
        final int tx;
        final int ty;
        final int tiles;
        /** Row length of a phase plane: tx + 1 columns a tile row reads, and a vector's overhang. */
        final int q;
        /** Floats in one phase plane: (m·ty + 2) padded rows. */
        final int plane;
        /** Offsets of a tile's α columns in the phase planes: (j mod m)·plane + ⌊j/m⌋. */
        final int[] colOff;
        /** Offsets of the α rows of a tile in the row-pass scratch [α][α][L]. */
        final int[] rowOff;
        /** Offsets of the α columns of an output row in the scratch. */
        final int[] laneOff;

        /**
         * Whether the transforms run along tile rows (lanes = tiles of one row, from phase
         * planes) or over the block's tiles in order, gathered one by one: when a tile row
         * fills at most half the lanes (28×28 maps and smaller for F(4,3) with 16 lanes), the
         * row form would compute mostly unused lanes.
         */
        boolean byRows() {
            return 2 * tx > L;
        }

        Plan(int m, Convolution.Shape s) {
            this.m = m;
            this.a = m + 2;
            this.c = s.c();
            this.outC = s.outC();
            this.h = s.h();
            this.w = s.w();
            this.tx = ceilDiv(w, m);
            this.ty = ceilDiv(h, m);
            this.tiles = tx * ty;
            this.q = tx + 1 + L;
            this.plane = (m * ty + 2) * q;
            colOff = new int[a];
            rowOff = new int[a];
            laneOff = new int[a];
            for (int j = 0; j < a; j++) {
                colOff[j] = (j % m) * plane + j / m;
                rowOff[j] = j * a * L;
                laneOff[j] = j * L;
            }
        }
    }

    /** Per-thread buffers, grown on demand and reused. */
    private static final class Buffers {
        float[] planes = new float[0];
        float[] v = new float[0];
        float[] mm = new float[0];
        final float[] tmp = new float[6 * 6 * L];
        final float[] out = new float[4 * 4 * L];
        float[] gathered = new float[0];
        float[] padded = new float[0];
        final float[] spill = new float[4 * L];
        /** Tiles' window origins (input) or output offsets, their extents, the products' row offsets. */
        int[] window = new int[0];
        int[] extent = new int[0];
        int[] rowIndex = new int[0];

        int[] windows(int size) {
            return window = grow(window, size);
        }

        int[] extents(int size) {
            return extent = grow(extent, size);
        }

        int[] rows(int size) {
            return rowIndex = grow(rowIndex, size);
        }

        static int[] grow(int[] b, int size) {
            return b.length < size ? new int[size] : b;
        }

        static float[] grow(float[] b, int size) {
            return b.length < size ? new float[size] : b;
        }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /**
     * One block {c0, c1} of tiles as one set of products. {@code split}: divide each phase
     * among the workers (channels for the input transform, ξ for the products, output channels
     * for the output transform); otherwise all on this thread.
     */
    private static void block(Plan p, float[] x, float[] u, float[] bias, float[] residual, boolean relu, float[] y,
                              int[] blk, boolean split) {
        int a2 = p.a * p.a;
        int cols = blk[1] - blk[0];
        int ld = cols + L; // room for the last tile row's overhang
        Buffers buf = BUFFERS.get();
        // the α² matrices one after another, each 16 floats longer than it needs: with
        // C·ld a multiple of 1024 (256 channels, 128 columns) the transforms' α² streams would
        // all map to the same L1 set
        int vStride = p.c * ld + 16;
        int mStride = p.outC * ld + 16;
        buf.v = Buffers.grow(buf.v, a2 * vStride + Gemm.NR); // the last panel's copy reads past the end
        buf.mm = Buffers.grow(buf.mm, a2 * mStride);
        float[] v = buf.v;
        float[] mm = buf.mm;
        boolean rows = p.byRows();
        if (split) {
            Parallel.forRangeBalanced(p.c, Math.max(1, p.c / 64), (lo, hi) -> {
                if (rows) {
                    inputTransform(p, x, blk, lo, hi, v, ld, vStride);
                } else {
                    gatheredInput(p, x, blk, lo, hi, v, ld, vStride);
                }
            });
            Parallel.forRangeBalanced(a2, 1, (lo, hi) -> products(p, u, v, vStride, mm, mStride, cols, ld, lo, hi));
            Parallel.forRangeBalanced(p.outC, Math.max(1, p.outC / 64), (lo, hi) -> {
                if (rows) {
                    outputTransform(p, mm, ld, mStride, blk, lo, hi, bias, residual, relu, y);
                } else {
                    outputTransformScattered(p, mm, ld, mStride, blk, lo, hi, bias, residual, relu, y);
                }
            });
        } else if (rows) {
            inputTransform(p, x, blk, 0, p.c, v, ld, vStride);
            products(p, u, v, vStride, mm, mStride, cols, ld, 0, a2);
            outputTransform(p, mm, ld, mStride, blk, 0, p.outC, bias, residual, relu, y);
        } else {
            gatheredInput(p, x, blk, 0, p.c, v, ld, vStride);
            products(p, u, v, vStride, mm, mStride, cols, ld, 0, a2);
            outputTransformScattered(p, mm, ld, mStride, blk, 0, p.outC, bias, residual, relu, y);
        }
    }

    /** M[ξ] = U[ξ]·V[ξ] for ξ in [lo, hi). */
    private static void products(Plan p, float[] u, float[] v, int vStride, float[] mm, int mStride, int cols, int ld,
                                 int lo, int hi) {
        if (!Gemm.vectorInUse() || cols > Gemm.SMALL_N) {
            for (int xi = lo; xi < hi; xi++) {
                Gemm.sgemm(false, false, p.outC, cols, p.c, u, xi * p.outC * p.c, p.c, v, xi * vStride, ld,
                        mm, xi * mStride, ld, false);
            }
            return;
        }
        // These products are small (a block's 32–128 columns): packing U[ξ] and V[ξ] anew for
        // each would cost a fifth of the arithmetic. The indirect product reads U[ξ] in place
        // and packs V[ξ]'s panels with one vector copy per row (same sums as sgemm).
        Buffers buf = BUFFERS.get();
        int[] rows = buf.rows(p.c);
        for (int xi = lo; xi < hi; xi++) {
            for (int q = 0; q < p.c; q++) {
                rows[q] = xi * vStride + q * ld;
            }
            Gemm.indirect(p.outC, p.c, u, xi * p.outC * p.c, null, v, rows, 0, cols, mm, xi * mStride, ld);
        }
    }

    /** V[ξ][ci][col] for channels [c0, c1) of a block's tiles. */
    private static void inputTransform(Plan p, float[] x, int[] blk, int c0, int c1, float[] v, int ld, int vStride) {
        Buffers buf = BUFFERS.get();
        buf.planes = Buffers.grow(buf.planes, p.m * p.plane);
        float[] planes = buf.planes;
        float[] tmp = buf.tmp;
        boolean vector = Gemm.vectorInUse();
        int m = p.m;
        Arrays.fill(planes, 0, m * p.plane, 0f);
        boolean interleave = vector && INTERLEAVE;
        int g0 = blk[0];
        int g1 = blk[1];
        for (int ci = c0; ci < c1; ci++) {
            for (int i = g0 / p.tiles; i * p.tiles < g1; i++) {
                // this image's tiles in the block: [lo, hi), in tile rows [trA, trB)
                int gi = i * p.tiles;
                int lo = Math.max(g0, gi) - gi;
                int hi = Math.min(g1, gi + p.tiles) - gi;
                int trA = lo / p.tx;
                int trB = (hi - 1) / p.tx + 1;
                fillPlanes(p, x, (i * p.c + ci) * p.h * p.w, planes, interleave, trA, trB);
                for (int tr = trA; tr < trB; tr++) {
                    int tcA = Math.max(lo - tr * p.tx, 0);
                    int tcB = Math.min(hi - tr * p.tx, p.tx);
                    for (int t0 = tcA; t0 < tcB; t0 += L) {
                        int base = m * tr * p.q + t0;
                        // lanes past the segment's end write into the columns of the tiles
                        // that follow, which are written later (tiles go in order; ld has room
                        // past the block's end)
                        int dst = ci * ld + gi + tr * p.tx + t0 - g0;
                        inputTiles(p, vector, planes, base, p.q, p.colOff, tmp, v, dst, vStride);
                    }
                }
            }
        }
    }

    /**
     * The m column-phase planes of one zero-padded channel: plane p, row Y, column t holds the
     * padded image at (Y, m·t + p), that is x[Y − 1, m·t + p − 1]; only the rows that tile rows
     * [tr0, tr1) read, and of those only image rows: the padding rows are zeroed once per call
     * ({@link #inputTransform}).
     */
    private static void fillPlanes(Plan p, float[] x, int off, float[] planes, boolean vector, int tr0, int tr1) {
        int m = p.m;
        int yEnd = Math.min(p.h, m * tr1 + 1);
        for (int yy = Math.max(0, m * tr0 - 1); yy < yEnd; yy++) {
            int src = off + yy * p.w;
            int row = (yy + 1) * p.q;
            if (vector) {
                for (int t0 = 0; t0 <= p.tx; t0 += L) {
                    WinogradKernel.phaseRow(m, x, src, m * t0 - 1, p.w, planes, row + t0, p.plane);
                }
                continue;
            }
            for (int ph = 0; ph < m; ph++) {
                // plane ph, column t reads image column m·t + ph − 1: inside for t in [tLo, tHi)
                int tLo = ph == 0 ? 1 : 0;
                int tHi = Math.floorDiv(p.w - ph, m) + 1;
                int d = ph * p.plane + row;
                planes[d] = 0f;
                for (int t = tLo; t < tHi; t++) {
                    planes[d + t] = x[src + ph - 1 + m * t];
                }
                Arrays.fill(planes, d + tHi, d + p.tx + 1, 0f);
            }
        }
    }

    /** Output tiles of channels [o0, o1) for a block's tiles, through the epilogue into y. */
    private static void outputTransform(Plan p, float[] mm, int ld, int mStride, int[] blk, int o0, int o1,
                                        float[] bias, float[] residual, boolean relu, float[] y) {
        int g0 = blk[0];
        int g1 = blk[1];
        Buffers buf = BUFFERS.get();
        float[] tmp = buf.tmp;
        float[] out = buf.out;
        float[] spill = buf.spill;
        boolean vector = Gemm.vectorInUse();
        boolean interleave = vector && INTERLEAVE;
        int a = p.a;
        int m = p.m;
        int[] down = new int[a];
        for (int i = 0; i < a; i++) {
            down[i] = i * a * mStride;
        }
        int hw = p.h * p.w;
        for (int o = o0; o < o1; o++) {
            float b = bias == null ? 0f : bias[o];
            for (int i = g0 / p.tiles; i * p.tiles < g1; i++) {
                int gi = i * p.tiles;
                int lo = Math.max(g0, gi) - gi;
                int hi = Math.min(g1, gi + p.tiles) - gi;
                int yImg = (i * p.outC + o) * hw;
                for (int tr = lo / p.tx; tr * p.tx < hi; tr++) {
                    int tcA = Math.max(lo - tr * p.tx, 0);
                    int tcB = Math.min(hi - tr * p.tx, p.tx);
                    for (int t0 = tcA; t0 < tcB; t0 += L) {
                        int src = o * ld + gi + tr * p.tx + t0 - g0;
                        outputTiles(p, vector, mm, src, mStride, down, tmp, out);
                        int lanes = Math.min(L, tcB - t0);
                        int ox0 = m * t0;
                        int valid = Math.min(m * lanes, p.w - ox0);
                        for (int r = 0; r < m; r++) {
                            int oy = m * tr + r;
                            if (oy >= p.h) {
                                break;
                            }
                            int rowOff = yImg + oy * p.w;
                            if (interleave) {
                                WinogradKernel.storeRow(m, out, r * m * L, b, residual, relu, y, rowOff + ox0, valid,
                                        spill);
                                continue;
                            }
                            for (int l = 0; l < lanes; l++) {
                                int cn = Math.min(m, p.w - ox0 - m * l);
                                for (int cc = 0; cc < cn; cc++) {
                                    store(out[(r * m + cc) * L + l], b, residual, relu, y, rowOff + ox0 + m * l + cc);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static void gatheredInput(Plan p, float[] x, int[] blk, int c0, int c1, float[] v, int ld, int vStride) {
        if (GATHER && Gemm.vectorInUse()) {
            inputTransformVectorGather(p, x, blk, c0, c1, v, ld, vStride);
        } else {
            inputTransformGathered(p, x, blk, c0, c1, v, ld, vStride);
        }
    }

    /**
     * As {@link #inputTransformGathered}, with vector gathers: the block's images, channel by
     * channel, are copied into zero-padded planes of (m·ty + 2) × (m·tx + 2), so that every
     * tile's α×α window lies inside, and element (i, j) of L tiles is one gather at
     * {@code i·pw + j} with the tiles' window origins as the index map.
     */
    private static void inputTransformVectorGather(Plan p, float[] x, int[] blk, int c0, int c1, float[] v, int ld,
                                                   int vStride) {
        Buffers buf = BUFFERS.get();
        int a = p.a;
        int m = p.m;
        int g0 = blk[0];
        int cols = blk[1] - g0;
        int img0 = g0 / p.tiles;
        int img1 = (blk[1] - 1) / p.tiles + 1;
        int pw = m * p.tx + 2;
        int pplane = (m * p.ty + 2) * pw;
        buf.padded = Buffers.grow(buf.padded, (img1 - img0) * pplane);
        float[] padded = buf.padded;
        Arrays.fill(padded, 0, (img1 - img0) * pplane, 0f); // the borders stay zero; channels overwrite the inside
        int[] window = buf.windows(cols + L);
        for (int col = 0; col < cols; col++) {
            int g = g0 + col;
            int img = g / p.tiles;
            int t = g - img * p.tiles;
            int tr = t / p.tx;
            window[col] = (img - img0) * pplane + m * tr * pw + m * (t - tr * p.tx);
        }
        // lanes past the block's end read the planes' first window: in range, and never stored
        Arrays.fill(window, cols, cols + L, 0);
        float[] tmp = buf.tmp;
        int hw = p.h * p.w;
        for (int ci = c0; ci < c1; ci++) {
            for (int img = img0; img < img1; img++) {
                int src = (img * p.c + ci) * hw;
                int dst = (img - img0) * pplane + pw + 1;
                for (int yy = 0; yy < p.h; yy++, src += p.w, dst += pw) {
                    System.arraycopy(x, src, padded, dst, p.w);
                }
            }
            for (int t0 = 0; t0 < cols; t0 += L) {
                for (int r = 0; r < a; r++) {
                    if (m == 4) {
                        WinogradKernel.input4Gathered(padded, r * pw, window, t0, tmp, r * a * L, L);
                    } else {
                        WinogradKernel.input2Gathered(padded, r * pw, window, t0, tmp, r * a * L, L);
                    }
                }
                columnsPass(p, true, tmp, v, ci * ld + t0, vStride);
            }
        }
    }

    /**
     * V[ξ][ci][col] for channels [c0, c1) of a block, for short tile rows: each tile's α×α
     * window is copied from the image (zeros for the padding) to {@code d[i·α + j][col]}, so
     * that the transforms run over the block's tiles in order with every lane in use.
     */
    private static void inputTransformGathered(Plan p, float[] x, int[] blk, int c0, int c1, float[] v, int ld,
                                               int vStride) {
        Buffers buf = BUFFERS.get();
        int a = p.a;
        int m = p.m;
        int a2 = a * a;
        int g0 = blk[0];
        int cols = blk[1] - g0;
        buf.gathered = Buffers.grow(buf.gathered, a2 * ld);
        float[] d = buf.gathered;
        float[] tmp = buf.tmp;
        boolean vector = Gemm.vectorInUse();
        int[] across = new int[a]; // element j of a row of the window: j·ld further on
        for (int j = 0; j < a; j++) {
            across[j] = j * ld;
        }
        int hw = p.h * p.w;
        for (int ci = c0; ci < c1; ci++) {
            for (int col = 0; col < cols; col++) {
                int g = g0 + col;
                int img = g / p.tiles;
                int t = g - img * p.tiles;
                int tr = t / p.tx;
                int tc = t - tr * p.tx;
                int base = (img * p.c + ci) * hw;
                int y0 = m * tr - 1;
                int x0 = m * tc - 1;
                for (int i = 0; i < a; i++) {
                    int yy = y0 + i;
                    int row = (i * a) * ld + col;
                    if (yy < 0 || yy >= p.h) {
                        for (int j = 0; j < a; j++) {
                            d[row + j * ld] = 0f;
                        }
                        continue;
                    }
                    int src = base + yy * p.w + x0;
                    for (int j = 0; j < a; j++) {
                        int xx = x0 + j;
                        d[row + j * ld] = xx >= 0 && xx < p.w ? x[src + j] : 0f;
                    }
                }
            }
            for (int t0 = 0; t0 < cols; t0 += L) {
                int dst = ci * ld + t0; // lanes past the block's end land in ld's spare room
                inputTiles(p, vector, d, t0, a * ld, across, tmp, v, dst, vStride);
            }
        }
    }

    /** The output tiles of channels [o0, o1) of a block taken in order, scattered into y. */
    private static void outputTransformScattered(Plan p, float[] mm, int ld, int mStride, int[] blk, int o0, int o1,
                                                 float[] bias, float[] residual, boolean relu, float[] y) {
        Buffers buf = BUFFERS.get();
        float[] tmp = buf.tmp;
        float[] out = buf.out;
        boolean vector = Gemm.vectorInUse();
        int a = p.a;
        int m = p.m;
        int[] down = new int[a];
        for (int i = 0; i < a; i++) {
            down[i] = i * a * mStride;
        }
        int g0 = blk[0];
        int cols = blk[1] - g0;
        int hw = p.h * p.w;
        // where each tile of the block starts in y (channel 0), and its rows and columns inside the map
        int[] tile = buf.windows(cols);
        int[] extent = buf.extents(cols);
        for (int col = 0; col < cols; col++) {
            int g = g0 + col;
            int img = g / p.tiles;
            int t = g - img * p.tiles;
            int tr = t / p.tx;
            int tc = t - tr * p.tx;
            tile[col] = img * p.outC * hw + m * tr * p.w + m * tc;
            extent[col] = Math.min(m, p.h - m * tr) << 8 | Math.min(m, p.w - m * tc);
        }
        for (int o = o0; o < o1; o++) {
            float b = bias == null ? 0f : bias[o];
            for (int t0 = 0; t0 < cols; t0 += L) {
                outputTiles(p, vector, mm, o * ld + t0, mStride, down, tmp, out);
                int lanes = Math.min(L, cols - t0);
                for (int l = 0; l < lanes; l++) {
                    int rowOff = o * hw + tile[t0 + l];
                    int rn = extent[t0 + l] >> 8;
                    int cn = extent[t0 + l] & 0xff;
                    for (int r = 0; r < rn; r++, rowOff += p.w) {
                        for (int cc = 0; cc < cn; cc++) {
                            store(out[(r * m + cc) * L + l], b, residual, relu, y, rowOff + cc);
                        }
                    }
                }
            }
        }
    }

    /** y[di] = v + b (+ residual[di]), then ReLU: the epilogue, in the order storeRow's lanes use. */
    private static void store(float v, float b, float[] residual, boolean relu, float[] y, int di) {
        float val = v + b;
        if (residual != null) {
            val += residual[di];
        }
        y[di] = relu ? Math.max(val, 0f) : val;
    }

    /**
     * V for L tiles: row r of the tiles is read at {@code base + r·rowStep + off[j]} of s;
     * transformed along each row into tmp, then down each column into the α² matrices of v at
     * column {@code dst}.
     */
    private static void inputTiles(Plan p, boolean vector, float[] s, int base, int rowStep, int[] off, float[] tmp,
                                   float[] v, int dst, int vStride) {
        int a = p.a;
        for (int r = 0; r < a; r++) {
            input(p.m, vector, s, base + r * rowStep, off, tmp, r * a * L, L);
        }
        columnsPass(p, vector, tmp, v, dst, vStride);
    }

    /** The second pass of the input transform: down each column of tmp's rows into V at column dst. */
    private static void columnsPass(Plan p, boolean vector, float[] tmp, float[] v, int dst, int vStride) {
        int a = p.a;
        for (int j = 0; j < a; j++) {
            input(p.m, vector, tmp, j * L, p.rowOff, v, j * vStride + dst, a * vStride);
        }
    }

    /**
     * The m×m outputs of L tiles into {@code out[(r·m + c)·L + lane]}, from column src of the
     * α² matrices in mm: down each column of the α×α tile (rows {@code down[i]} apart), then
     * along each of the m rows.
     */
    private static void outputTiles(Plan p, boolean vector, float[] mm, int src, int mStride, int[] down, float[] tmp,
                                    float[] out) {
        int a = p.a;
        for (int j = 0; j < a; j++) {
            output(p.m, vector, mm, j * mStride + src, down, tmp, j * L, a * L);
        }
        for (int r = 0; r < p.m; r++) {
            output(p.m, vector, tmp, r * a * L, p.laneOff, out, r * p.m * L, L);
        }
    }

    private static void input(int m, boolean vector, float[] s, int base, int[] off, float[] d, int d0, int ds) {
        if (vector) {
            if (m == 4) {
                WinogradKernel.input4(s, base, off, d, d0, ds);
            } else {
                WinogradKernel.input2(s, base, off, d, d0, ds);
            }
        } else if (m == 4) {
            input4(s, base, off, d, d0, ds);
        } else {
            input2(s, base, off, d, d0, ds);
        }
    }

    private static void output(int m, boolean vector, float[] s, int base, int[] off, float[] d, int d0, int ds) {
        if (vector) {
            if (m == 4) {
                WinogradKernel.output4(s, base, off, d, d0, ds);
            } else {
                WinogradKernel.output2(s, base, off, d, d0, ds);
            }
        } else if (m == 4) {
            output4(s, base, off, d, d0, ds);
        } else {
            output2(s, base, off, d, d0, ds);
        }
    }

    // Plain twins of WinogradKernel's transforms: lane by lane, the same operations in the same
    // order (Math.fma where the vector code fuses), so both give the same bits.

    static void input2(float[] s, int base, int[] off, float[] d, int d0, int ds) {
        for (int l = 0; l < L; l++) {
            float s0 = s[base + off[0] + l];
            float s1 = s[base + off[1] + l];
            float s2 = s[base + off[2] + l];
            float s3 = s[base + off[3] + l];
            d[d0 + l] = s0 - s2;
            d[d0 + ds + l] = s1 + s2;
            d[d0 + 2 * ds + l] = s2 - s1;
            d[d0 + 3 * ds + l] = s1 - s3;
        }
    }

    static void output2(float[] s, int base, int[] off, float[] d, int d0, int ds) {
        for (int l = 0; l < L; l++) {
            float s0 = s[base + off[0] + l];
            float s1 = s[base + off[1] + l];
            float s2 = s[base + off[2] + l];
            float s3 = s[base + off[3] + l];
            d[d0 + l] = s0 + s1 + s2;
            d[d0 + ds + l] = s1 - s2 - s3;
        }
    }

    static void input4(float[] s, int base, int[] off, float[] d, int d0, int ds) {
        for (int l = 0; l < L; l++) {
            float s0 = s[base + off[0] + l];
            float s1 = s[base + off[1] + l];
            float s2 = s[base + off[2] + l];
            float s3 = s[base + off[3] + l];
            float s4 = s[base + off[4] + l];
            float s5 = s[base + off[5] + l];
            d[d0 + l] = Math.fma(s0, 4f, Math.fma(s2, -5f, s4));
            float a = Math.fma(s2, -4f, s4);
            float b = Math.fma(s1, 4f, -s3);
            d[d0 + ds + l] = a - b;
            d[d0 + 2 * ds + l] = a + b;
            float c = s4 - s2;
            float e = (s1 - s3) * 2f;
            d[d0 + 3 * ds + l] = c - e;
            d[d0 + 4 * ds + l] = c + e;
            d[d0 + 5 * ds + l] = Math.fma(s1, 4f, Math.fma(s3, -5f, s5));
        }
    }

    static void output4(float[] s, int base, int[] off, float[] d, int d0, int ds) {
        for (int l = 0; l < L; l++) {
            float s0 = s[base + off[0] + l];
            float s1 = s[base + off[1] + l];
            float s2 = s[base + off[2] + l];
            float s3 = s[base + off[3] + l];
            float s4 = s[base + off[4] + l];
            float s5 = s[base + off[5] + l];
            float p12 = s1 + s2;
            float m12 = s1 - s2;
            float p34 = s3 + s4;
            float m34 = s3 - s4;
            d[d0 + l] = s0 + p12 + p34;
            d[d0 + ds + l] = Math.fma(m34, 2f, m12);
            d[d0 + 2 * ds + l] = Math.fma(p34, 4f, p12);
            d[d0 + 3 * ds + l] = Math.fma(m34, 8f, m12) + s5;
        }
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }
}
