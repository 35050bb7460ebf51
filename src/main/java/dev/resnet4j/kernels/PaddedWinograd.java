package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;

/**
 * Winograd F(4×4, 3×3) on the padded channels-last layout of {@link PackedConv#toPadded}, with
 * the channels in the vector lanes: the batch-1 form of {@link Winograd} for a run of
 * convolutions that keeps that layout ({@code FoldedInference}).
 *
 * <p>{@link Winograd} puts L tiles in the lanes: its input transform first copies each channel
 * into phase planes (or gathers each tile's window), its products run on panels of 32 tiles (on
 * a 56×56 map, 224 columns for 196 tiles) and its output transform interleaves the lanes back
 * into rows. Here each tile's 6×6 window is read in place, L channels a vector, through the same
 * transform functions ({@link WinogradKernel#input4}, {@link WinogradKernel#output4}) in the
 * same order; the 36 products M[ξ] = V[ξ]·U[ξ]ᵀ run on {@link PackedConv}'s pixel kernels with
 * the tiles as the pixels (7 or 14 at a time, none wasted) and the output channels in panels of
 * NR; and each output pixel's channels are stored as whole vectors with bias, residual and ReLU.
 * Each product sums over the input channels in the depth blocks of {@link Winograd}'s products
 * ({@link Gemm}'s: one chain up to {@link Gemm#KC} channels, above that ⌈C / KC⌉ equal blocks,
 * each chain from zero, added in order), so the result has the same bits ({@code
 * PaddedWinogradTest}).
 *
 * <p>The work is cut into blocks of tiles numbered across the images. Where U is small (or a
 * few MB with as many images as workers) each worker takes whole blocks; otherwise the blocks
 * run one after the other (one block at batch 1; blocks of at least
 * {@link Winograd#MIN_COLUMNS} tiles where U is larger than {@link Winograd#BLOCK_BYTES}, so
 * that each reads it once for many tiles), their three phases (input transform over the tiles,
 * products over (ξ, panel) pairs, output transform over the tiles) parallel loops with the
 * workers sharing each.
 */
public final class PaddedWinograd {
    private PaddedWinograd() {
    }

    private static final int M = 4;
    private static final int A = 6;
    private static final int L = GemmVectorKernel.L;
    private static final int PR = GemmVectorKernel.PR;

    /**
     * Whether the form is used ({@link #applies}); {@code -Dresnet4j.winograd.padded=false} turns
     * it off (the folded forward's channels-last run then starts where {@link PackedConv} alone
     * takes every convolution), tests and benchmarks flip it.
     */
    public static boolean ON = !"false".equals(System.getProperty("resnet4j.winograd.padded"));

    /** Offsets of a 6-value run in the α×α scratch: along a row (lanes apart) and down a column. */
    private static final int[] ALONG = {0, L, 2 * L, 3 * L, 4 * L, 5 * L};
    private static final int[] DOWN = {0, A * L, 2 * A * L, 3 * A * L, 4 * A * L, 5 * A * L};

    /**
     * Whether this form takes the convolution: 3×3, stride 1, padding 1, F(4,3) the configured
     * tile, channels a multiple of the lanes, output channels whole panels, the vector kernel
     * in use.
     */
    public static boolean applies(Convolution.Shape s) {
        return ON && Winograd.TILE == 4 && s.kh() == 3 && s.kw() == 3 && s.stride() == 1 && s.pad() == 1
                && s.c() % L == 0 && s.outC() % Gemm.NR == 0 && Gemm.vectorInUse();
    }

    /**
     * U from {@link Winograd#transformWeights}(4, w, outC, c), U[ξ][o][c], repacked for the pixel
     * kernels: {@code up[u0 + ((ξ·P + o / NR)·c + ci)·NR + o mod NR]}, P = outC / NR panels, after
     * u0 = {@link Align#FLOATS} unused floats (readers take u0 from the length).
     */
    public static float[] pack(float[] u, int outC, int c) {
        int nr = Gemm.NR;
        int panels = outC / nr;
        int u0 = Align.FLOATS;
        float[] up = new float[u0 + A * A * outC * c];
        for (int xi = 0; xi < A * A; xi++) {
            for (int o = 0; o < outC; o++) {
                int src = (xi * outC + o) * c;
                int dst = u0 + ((xi * panels + o / nr) * c) * nr + o % nr;
                for (int ci = 0; ci < c; ci++) {
                    up[dst + ci * nr] = u[src + ci];
                }
            }
        }
        return up;
    }

    /**
     * y = conv(x, w) + bias (+ residual), then ReLU if {@code relu}, with x, the residual and y
     * in the padded channels-last layout (y's border is left as it is) and {@code up} =
     * {@link #pack}: for shapes {@link #applies} takes.
     */
    public static void forward(Convolution.Shape s, float[] xh, float[] up, float[] bias, float[] residual,
                               boolean relu, float[] y) {
        if (!applies(s)) {
            throw new IllegalArgumentException("padded Winograd does not take " + s);
        }
        int c = s.c();
        int outC = s.outC();
        int h = s.h();
        int w = s.w();
        int tx = (w + M - 1) / M;
        int tiles = tx * ((h + M - 1) / M);
        int total = s.n() * tiles; // tiles numbered image by image
        int threads = Parallel.threads();
        // whole blocks of tiles a worker (no barrier inside the convolution) where U is small
        // enough to be read again by every block, or there are images enough; else one block
        // whose phases the workers share. A block's V and M stay near L2 (at most ~1 MB).
        int cap = Math.max(2 * PR, (int) (BLOCK_BYTES / (4L * A * A * (c + outC))) / (2 * PR) * (2 * PR));
        int per = Math.min(cap, 2 * PR * (int) Math.ceil(total / (2.0 * PR * BLOCKS_PER_WORKER * threads)));
        long u = 4L * A * A * c * outC;
        boolean whole = threads > 1 && (u <= WHOLE_BYTES || s.n() >= threads && u <= Winograd.BLOCK_BYTES)
                && total >= 2 * per;
        int x0 = PackedConv.paddedOffset(xh, s.n(), c, h, w, "x");
        int y0 = PackedConv.paddedOffset(y, s.n(), outC, h, w, "y");
        PackedConv.sameOffset(residual, y0, s.n(), outC, h, w);
        Geometry g = new Geometry(c, outC, h, w, tx, tiles, x0, y0);
        if (whole) {
            // at most per tiles a block, a multiple of the workers' count of blocks, cut as evenly
            // as whole pairs of tiles allow, so that the workers' chunks are equal (layer1 at
            // batch 1 in blocks of 56 tiles had been 56 + 56 + 56 + 28: 112 tiles for one worker,
            // 84 for the other; it is now 14 blocks of one pair)
            int pairs = (total + 2 * PR - 1) / (2 * PR);
            int count = Math.min(pairs, ((total + per - 1) / per + threads - 1) / threads * threads);
            Parallel.forRangeBalanced(count, 1, (lo, hi) -> {
                for (int b = lo; b < hi; b++) {
                    int from = (int) ((long) pairs * b / count) * 2 * PR;
                    int to = Math.min(total, (int) ((long) pairs * (b + 1) / count) * 2 * PR);
                    block(g, xh, up, bias, residual, relu, y, from, to, false);
                }
            });
            return;
        }
        // U read once a block: blocks of at least Winograd.MIN_COLUMNS tiles where U is larger
        // than Winograd's block budget (layer3 and layer4 at batch 16: 9.4 and 37.7 MB), as
        // Winograd cuts them; each block's phases shared by the workers
        int big = u > Winograd.BLOCK_BYTES ? Math.max(per, Winograd.MIN_COLUMNS) : total;
        int count = (total + big - 1) / big;
        int size = (total + count - 1) / count;
        size = (size + 2 * PR - 1) / (2 * PR) * (2 * PR);
        for (int b0 = 0; b0 < total; b0 += size) {
            block(g, xh, up, bias, residual, relu, y, b0, Math.min(total, b0 + size), threads > 1);
        }
    }

    /**
     * The sizes a block needs: channels, map, tiles a row and an image, where the images start in
     * x and y ({@link PackedConv#paddedOffset}), an image's floats in and out.
     */
    private record Geometry(int c, int outC, int h, int w, int tx, int tiles, int x0, int y0, int inSize,
                            int outSize) {
        Geometry(int c, int outC, int h, int w, int tx, int tiles, int x0, int y0) {
            this(c, outC, h, w, tx, tiles, x0, y0, PackedConv.paddedSize(1, c, h, w),
                    PackedConv.paddedSize(1, outC, h, w));
        }
    }

    /**
     * Floats between M's tiles beyond PR·NR: 16, a cache line, so that the tiles do not all
     * start on the same cache sets and their rows stay on lines; tests and benchmarks set 1.
     */
    static int TILE_PAD = 16;

    /** A block's V and M aim at this many bytes (tiles in whole pairs). */
    static long BLOCK_BYTES = 1 << 20;

    /** Below this many bytes of U the workers take whole blocks of tiles (layer1 at 224 px: 590 KB; layer2: 2.4 MB). */
    static long WHOLE_BYTES = Long.getLong("resnet4j.winograd.paddedWholeKB", 1024) << 10;

    /**
     * Blocks of tiles a worker in that case, at least (fewer where {@link #BLOCK_BYTES} asks for
     * smaller ones): at batch 1 layer1's 196 tiles go in 14 blocks of one pair of tiles, so that
     * a worker done first takes over whole blocks of the other's (one core here is often slower
     * than the other for a while). With 2 a worker, the faster one waited 0.07–0.12 ms at the
     * end of each of layer1's convolutions; a forward at batch 1 went 11.61 → 11.28, 10.38 →
     * 10.28, 11.13 → 10.98, 10.34 → 10.33, 10.29 → 10.27 ms (medians, one JVM, alternating).
     */
    static int BLOCKS_PER_WORKER = 8;

    /** Per-thread V, M, scratch and offset tables, kept between calls: a forward allocates nothing for them. */
    private static final class Buffers {
        float[] v = new float[0];
        float[] mm = new float[0];
        /** One (ξ, panel) product's sums over a depth block after the first, before they are added. */
        float[] part = new float[0];
        /**
         * One tile's α×α values for L lanes, twice, and a window copied at the edges, after the
         * caller's offset z ({@link Align#activations()}, at most 16 floats).
         */
        final float[] tmp = new float[16 + 3 * A * A * L];
        /**
         * Tile t's row of V, {@code at[t] = t·c}, the last tile repeated past the block's bt tiles
         * (the pixel kernels read whole groups): one table per (bt, c) this thread has met, a
         * model having a handful.
         */
        final java.util.ArrayList<int[]> at = new java.util.ArrayList<>();
        /** A window row's six columns in the padded layout (c apart), and the six α rows of M (α·mStride apart). */
        final int[] cols = new int[A];
        final int[] down = new int[A];

        float[] part(int size) {
            if (part.length < size) {
                part = new float[size];
            }
            return part;
        }

        /** The table for blocks of bt tiles and c channels: its last two entries are bt and c. */
        int[] at(int bt, int c) {
            for (int[] a : at) {
                if (a[a.length - 2] == bt && a[a.length - 1] == c) {
                    return a;
                }
            }
            if (at.size() >= 64) {
                at.clear();
            }
            int n = ((bt + PR - 1) / PR + 1) * PR;
            int[] a = new int[n + 2];
            for (int p = 0; p < n; p++) {
                a[p] = Math.min(p, bt - 1) * c;
            }
            a[n] = bt;
            a[n + 1] = c;
            at.add(a);
            return a;
        }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /**
     * Tiles [t0, t1), numbered image by image: input transform, the 36 products for every panel,
     * output transform; with {@code split} each phase shared among the workers, else all on this
     * thread.
     */
    private static void block(Geometry geo, float[] xh, float[] up, float[] bias, float[] residual, boolean relu,
                              float[] y, int t0, int t1, boolean split) {
        int c = geo.c();
        int outC = geo.outC();
        int h = geo.h();
        int w = geo.w();
        int tx = geo.tx();
        int tiles = geo.tiles();
        int bt = t1 - t0;
        int nr = Gemm.NR;
        int panels = outC / nr;
        int groups = (bt + PR - 1) / PR;
        // as PackedConv, the tiles' rows not all on the same cache sets, but a whole line apart
        // (not one float), so that the output transform's loads of M stay on lines
        int tileSize = PR * nr + TILE_PAD;
        int vStride = bt * c + 16;
        int panelStride = groups * tileSize;
        int mStride = panels * panelStride + 16;
        // V's rows of c channels and M's tiles start on cache lines where the JVM allows it (Align)
        int v0 = Align.activations();
        float[] v;
        float[] mm;
        if (split) {
            v = Convolution.scratch(4, v0 + A * A * vStride);
            mm = Convolution.scratch(5, v0 + A * A * mStride);
        } else {
            Buffers buf = BUFFERS.get();
            if (buf.v.length < v0 + A * A * vStride) {
                buf.v = new float[v0 + A * A * vStride];
            }
            if (buf.mm.length < v0 + A * A * mStride) {
                buf.mm = new float[v0 + A * A * mStride];
            }
            v = buf.v;
            mm = buf.mm;
        }
        int[] at = BUFFERS.get().at(bt, c); // read by the workers too: the caller's, read-only
        Parallel.RangeBody input = (lo, hi) -> {
            Buffers own = BUFFERS.get();
            float[] tmp = own.tmp;
            int[] cols = own.cols;
            for (int k = 0; k < A; k++) {
                cols[k] = k * c;
            }
            for (int t = lo; t < hi; t++) {
                int g = (t0 + t) % tiles;
                int xOff = geo.x0() + (t0 + t) / tiles * geo.inSize();
                inputTile(xh, xOff, c, h, w, g / tx, g % tx, v, v0 + t * c, vStride, tmp, v0, cols);
            }
        };
        int kc0 = Gemm.depthBlock(c); // Winograd's products' depth blocks (Gemm's)
        int u0 = up.length - A * A * outC * c; // the packer's offset (Align)
        Parallel.RangeBody products = (lo, hi) -> {
            float[] part = kc0 < c ? BUFFERS.get().part(panelStride) : null;
            for (int u = lo; u < hi; u++) {
                int xi = u / panels;
                int j = u % panels;
                // M[ξ] for one panel of output channels: every tile of the block, summed over the
                // c channels, depth block by depth block as Gemm sums them (each from zero, then
                // added to the blocks before it)
                PackedConv.tilesInBlocks(c, kc0, v0 + xi * vStride, v, at, 0, groups, up, u0 + (xi * panels + j) * c * nr,
                        mm, v0 + xi * mStride + j * panelStride, tileSize, part);
            }
        };
        Parallel.RangeBody output = (lo, hi) -> {
            Buffers own = BUFFERS.get();
            float[] tmp = own.tmp;
            int[] down = own.down;
            for (int k = 0; k < A; k++) {
                down[k] = k * A * mStride;
            }
            for (int t = lo; t < hi; t++) {
                int g = (t0 + t) % tiles;
                int yOff = geo.y0() + (t0 + t) / tiles * geo.outSize();
                int src = v0 + (t / PR) * tileSize + (t % PR) * nr;
                outputTile(mm, src, mStride, panelStride, outC, h, w, g / tx, g % tx, bias, residual, relu, y,
                        yOff, tmp, v0, down);
            }
        };
        if (split) {
            Parallel.forRangeBalanced(bt, 2, input);
            Parallel.forRangeBalanced(A * A * panels, 1, products);
            Parallel.forRangeBalanced(bt, 2, output);
        } else {
            input.run(0, bt);
            products.run(0, A * A * panels);
            output.run(0, bt);
        }
    }

    /**
     * V[ξ][tile][c] for tile (tr, tc): its 6×6 window, padded rows 4·tr .. 4·tr + 5 and columns
     * 4·tc .. 4·tc + 5 (zero past the stored border), L channels at a time: along each row,
     * then down each column, as {@link Winograd}'s input transform.
     */
    private static void inputTile(float[] xh, int xOff, int c, int h, int w, int tr, int tc, float[] v, int dst,
                                  int vStride, float[] tmp, int z, int[] cols) {
        int wp = w + 2;
        int r0 = M * tr;
        int c0 = M * tc;
        boolean inside = r0 + A <= h + 2 && c0 + A <= wp;
        int win = 2 * A * A * L; // the window copy, at the edges
        for (int cv = 0; cv < c; cv += L) {
            if (inside) {
                int base = xOff + (r0 * wp + c0) * c + cv;
                for (int r = 0; r < A; r++) {
                    WinogradKernel.input4(xh, base + r * wp * c, cols, tmp, z + r * A * L, L);
                }
            } else {
                for (int r = 0; r < A; r++) {
                    for (int k = 0; k < A; k++) {
                        int d = z + win + (r * A + k) * L;
                        if (r0 + r < h + 2 && c0 + k < wp) {
                            System.arraycopy(xh, xOff + ((r0 + r) * wp + c0 + k) * c + cv, tmp, d, L);
                        } else {
                            java.util.Arrays.fill(tmp, d, d + L, 0f);
                        }
                    }
                }
                for (int r = 0; r < A; r++) {
                    WinogradKernel.input4(tmp, z + win + r * A * L, ALONG, tmp, z + r * A * L, L);
                }
            }
            for (int j = 0; j < A; j++) {
                WinogradKernel.input4(tmp, z + j * L, DOWN, v, j * vStride + dst + cv, A * vStride);
            }
        }
    }

    /**
     * Tile (tr, tc)'s 4×4 outputs from M (its values at {@code src} within each panel), L output
     * channels at a time: down each column, then along each row, as {@link Winograd}'s output
     * transform; then + bias (+ residual) and ReLU into y's pixels inside the map.
     */
    private static void outputTile(float[] mm, int src, int mStride, int panelStride, int outC, int h, int w, int tr,
                                   int tc, float[] bias, float[] residual, boolean relu, float[] y, int yOff,
                                   float[] tmp, int z, int[] down) {
        int nr = Gemm.NR;
        int out = z + A * A * L;
        int wp = w + 2;
        int rows = Math.min(M, h - M * tr);
        int cols = Math.min(M, w - M * tc);
        for (int ov = 0; ov < outC; ov += L) {
            int s0 = (ov / nr) * panelStride + src + ov % nr;
            for (int j = 0; j < A; j++) {
                WinogradKernel.output4(mm, s0 + j * mStride, down, tmp, z + j * L, A * L);
            }
            for (int r = 0; r < M; r++) {
                WinogradKernel.output4(tmp, z + r * A * L, ALONG, tmp, out + r * M * L, L);
            }
            for (int r = 0; r < rows; r++) {
                for (int k = 0; k < cols; k++) {
                    int d = yOff + ((M * tr + r + 1) * wp + M * tc + k + 1) * outC + ov;
                    GemmVectorKernel.storeLanes(tmp, out + (r * M + k) * L, bias, ov, residual, relu, y, d);
                }
            }
        }
    }
}
