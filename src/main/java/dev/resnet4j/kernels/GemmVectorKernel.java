package dev.resnet4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-tiled SIMD micro-kernel behind {@link Gemm#sgemm}: one MR×NR tile of C from six
 * rows of A (a packed panel, or row-major A read in place) and a packed NR-column panel of B.
 *
 * <p>Kept in its own class so that {@link Gemm} can fall back to plain Java when
 * {@code jdk.incubator.vector} is not on the module path: touching this class then fails with
 * a {@link LinkageError}, which {@code Gemm} catches once at class initialisation.
 *
 * <p>Tile shape 6×(2 vectors): twelve vector accumulators, two B vectors and one broadcast A
 * value live in registers (15 of the 16 ymm registers AVX2 has), and each k step issues 12
 * FMAs for 2 vector loads + 6 broadcasts, so the two FMA pipes, not the load ports, are the
 * bottleneck. With 16-lane vectors on JDK 25+ ({@link #PAIRS_FAST}) two such tiles run in one
 * loop over the same B panel ({@link #kernelRowPair}, 24 accumulators; {@link #kernelPixelPair}
 * for the transposed pixel tiles, 28): the same sums in the same order, so the same bits.
 *
 * <p>The species is the CPU's preferred one, capped at 512 bits: 256-bit (6×16 tiles) on AVX2
 * machines, 512-bit (6×32 tiles) on AVX-512 ones, where it doubles throughput on cores with
 * full-width FMA units (Zen 5: ~210 vs ~105 GFLOP/s per core in L1).
 * {@code -Dresnet4j.gemm.species=256} forces 256-bit vectors.
 */
final class GemmVectorKernel {
    static final VectorSpecies<Float> S = pickSpecies();
    /** Lanes per vector. */
    static final int L = S.length();
    /** Rows of the tile. */
    static final int MR = 6;
    /** Columns of the tile: two vectors. */
    static final int NR = 2 * L;

    private GemmVectorKernel() {
    }

    private static VectorSpecies<Float> pickSpecies() {
        String want = System.getProperty("resnet4j.gemm.species", "preferred");
        if (!want.equals("256") && FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512) {
            return FloatVector.SPECIES_512;
        }
        return FloatVector.SPECIES_256;
    }

    /** True when the hardware runs this species natively (otherwise the plain kernel wins). */
    static boolean isFast() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= S.vectorBitSize();
    }

    /** tile[MR×NR] = Apanel · Bpanel over kc steps, for a row-wise packed A panel at ai. */
    static void kernel(int kc, float[] a, int ai, float[] b, int bi, float[] tile) {
        kernelRows(kc, a, ai, ai + kc, ai + 2 * kc, ai + 3 * kc, ai + 4 * kc, ai + 5 * kc, b, bi, tile);
    }

    /**
     * tile[MR×NR] = A rows · Bpanel over kc steps, the six rows of A starting at
     * {@code r0..r5}: a packed panel, or row-major A read in place when packing it would cost
     * as much as the arithmetic (each A value meeting only one or two B panels). Rows past the
     * edge of A are passed as duplicates of a valid row and ignored on store. Every index is
     * rowStart + p, so C2 hoists the bounds checks out of the loop.
     *
     * @param b    packed B: for each k step, NR consecutive values (one per column)
     * @param tile receives the MR×NR result, row-major
     */
    static void kernelRows(int kc, float[] a, int r0, int r1, int r2, int r3, int r4, int r5,
                           float[] b, int bi, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bp = bi + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
            FloatVector av = FloatVector.broadcast(S, a[r0 + p]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[r1 + p]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[r2 + p]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[r3 + p]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a[r4 + p]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a[r5 + p]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
    }

    /**
     * Two tiles of {@link #kernelRows} at once, over the same B panel: rows
     * {@code a[r + min(i·k, last) ..]} for i in [0, 12) (rows past A's edge repeat the last),
     * rows 0–5 of the result into {@code tile} and 6–11 into {@code tile2}. Each B vector loaded
     * serves twelve rows instead of six; every sum is the same products in the same order as
     * two {@code kernelRows} calls, so the same bits. Twenty-four accumulators: for 16-lane
     * vectors on a JDK that compiles it well ({@link #PAIRS_FAST}).
     */
    static void kernelRowPair(int kc, float[] a, int r, int k, int last, float[] b, int bi, float[] tile,
                              float[] tile2) {
        int r0 = r;
        int r1 = r + Math.min(1 * k, last);
        int r2 = r + Math.min(2 * k, last);
        int r3 = r + Math.min(3 * k, last);
        int r4 = r + Math.min(4 * k, last);
        int r5 = r + Math.min(5 * k, last);
        int r6 = r + Math.min(6 * k, last);
        int r7 = r + Math.min(7 * k, last);
        int r8 = r + Math.min(8 * k, last);
        int r9 = r + Math.min(9 * k, last);
        int r10 = r + Math.min(10 * k, last);
        int r11 = r + Math.min(11 * k, last);
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        FloatVector c80 = FloatVector.zero(S), c81 = FloatVector.zero(S);
        FloatVector c90 = FloatVector.zero(S), c91 = FloatVector.zero(S);
        FloatVector c100 = FloatVector.zero(S), c101 = FloatVector.zero(S);
        FloatVector c110 = FloatVector.zero(S), c111 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bp = bi + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
            FloatVector av = FloatVector.broadcast(S, a[r0 + p]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[r1 + p]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[r2 + p]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[r3 + p]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a[r4 + p]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a[r5 + p]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(S, a[r6 + p]);
            c60 = av.fma(b0, c60);
            c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(S, a[r7 + p]);
            c70 = av.fma(b0, c70);
            c71 = av.fma(b1, c71);
            av = FloatVector.broadcast(S, a[r8 + p]);
            c80 = av.fma(b0, c80);
            c81 = av.fma(b1, c81);
            av = FloatVector.broadcast(S, a[r9 + p]);
            c90 = av.fma(b0, c90);
            c91 = av.fma(b1, c91);
            av = FloatVector.broadcast(S, a[r10 + p]);
            c100 = av.fma(b0, c100);
            c101 = av.fma(b1, c101);
            av = FloatVector.broadcast(S, a[r11 + p]);
            c110 = av.fma(b0, c110);
            c111 = av.fma(b1, c111);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, 0 + L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
        c60.intoArray(tile2, 0);
        c61.intoArray(tile2, 0 + L);
        c70.intoArray(tile2, NR);
        c71.intoArray(tile2, NR + L);
        c80.intoArray(tile2, 2 * NR);
        c81.intoArray(tile2, 2 * NR + L);
        c90.intoArray(tile2, 3 * NR);
        c91.intoArray(tile2, 3 * NR + L);
        c100.intoArray(tile2, 4 * NR);
        c101.intoArray(tile2, 4 * NR + L);
        c110.intoArray(tile2, 5 * NR);
        c111.intoArray(tile2, 5 * NR + L);
    }

    /**
     * pb[pi + p·NR .. + NR) = b[rows[ri + p] + j .. + NR) for p in [0, kc): a B panel whose
     * k-th row is a run of b at its own offset (a convolution's input, one offset per kernel
     * tap, see {@code Convolution.forwardIndirect}), packed. Every read must lie inside b.
     */
    static void packRows(int kc, float[] b, int[] rows, int ri, int j, float[] pb, int pi) {
        for (int p = 0; p < kc; p++) {
            int s = rows[ri + p] + j;
            FloatVector.fromArray(S, b, s).intoArray(pb, pi + p * NR);
            FloatVector.fromArray(S, b, s + L).intoArray(pb, pi + p * NR + L);
        }
    }

    /** C[0..mr, 0..nr) = tile (or += with {@code add}); vector rows for full tiles. */
    static void storeTile(float[] tile, float[] c, int ci, int ldc, int mr, int nr, boolean add) {
        if (nr != NR) {
            Gemm.storeTile(tile, NR, c, ci, ldc, mr, nr, add);
            return;
        }
        for (int r = 0, t = 0; r < mr; r++, t += NR, ci += ldc) {
            FloatVector v0 = FloatVector.fromArray(S, tile, t);
            FloatVector v1 = FloatVector.fromArray(S, tile, t + L);
            if (add) {
                v0 = v0.add(FloatVector.fromArray(S, c, ci));
                v1 = v1.add(FloatVector.fromArray(S, c, ci + L));
            }
            v0.intoArray(c, ci);
            v1.intoArray(c, ci + L);
        }
    }

    /**
     * As {@link #storeTile}, then Convolution's epilogue on each stored value:
     * {@code v + bias[bi + r]}, plus the residual at the same place in its array, then ReLU
     * (bias and residual may be null). The same operations in the same order as the separate
     * epilogue pass, so the same bits, without writing and re-reading C.
     */
    static void storeTileEpilogue(float[] tile, float[] c, int ci, int ldc, int mr, int nr, boolean add,
                                  float[] bias, int bi, float[] residual, boolean relu) {
        for (int r = 0, t = 0; r < mr; r++, t += NR, ci += ldc) {
            float b = bias == null ? 0f : bias[bi + r];
            if (nr == NR) {
                FloatVector v0 = FloatVector.fromArray(S, tile, t);
                FloatVector v1 = FloatVector.fromArray(S, tile, t + L);
                if (add) {
                    v0 = v0.add(FloatVector.fromArray(S, c, ci));
                    v1 = v1.add(FloatVector.fromArray(S, c, ci + L));
                }
                v0 = v0.add(b);
                v1 = v1.add(b);
                if (residual != null) {
                    v0 = v0.add(FloatVector.fromArray(S, residual, ci));
                    v1 = v1.add(FloatVector.fromArray(S, residual, ci + L));
                }
                if (relu) {
                    v0 = v0.max(0f);
                    v1 = v1.max(0f);
                }
                v0.intoArray(c, ci);
                v1.intoArray(c, ci + L);
                continue;
            }
            for (int j = 0; j < nr; j++) {
                float v = add ? c[ci + j] + tile[t + j] : tile[t + j];
                v += b;
                if (residual != null) {
                    v += residual[ci + j];
                }
                c[ci + j] = relu ? Math.max(v, 0f) : v;
            }
        }
    }

    /**
     * One pixel's NR channels of a {@link PackedConv} tile into the padded channels-last layout:
     * y[d + o] = epilogue(tile[t + o] + bias[bi + o] (+ residual[d + o])), o in [0, NR), the same
     * operations as the scalar store (+ 0 without a bias, as there).
     */
    static void storeChannels(float[] tile, int t, float[] bias, int bi, float[] residual, boolean relu, float[] y,
                              int d) {
        storeLanes(tile, t, bias, bi, residual, relu, y, d);
        storeLanes(tile, t + L, bias, bi + L, residual, relu, y, d + L);
    }

    /** As {@link #storeChannels} for one vector: L channels, from s[si]. */
    static void storeLanes(float[] s, int si, float[] bias, int bi, float[] residual, boolean relu, float[] y,
                           int d) {
        FloatVector v = FloatVector.fromArray(S, s, si);
        v = bias == null ? v.add(0f) : v.add(FloatVector.fromArray(S, bias, bi));
        if (residual != null) {
            v = v.add(FloatVector.fromArray(S, residual, d));
        }
        if (relu) {
            v = v.max(0f);
        }
        v.intoArray(y, d);
    }

    /**
     * dst[d + i·step + k] = src[si + i·step + k] for i < count, k < len, whole vectors at a
     * time: it also writes up to the next multiple of L past len in each run, and reads as far,
     * so the caller leaves that room and overwrites what it needs there afterwards
     * ({@link PackedStem}'s strip, moved along by the rows that two output rows share).
     */
    static void copyRuns(float[] src, int si, float[] dst, int d, int step, int count, int len) {
        for (int i = 0; i < count; i++, si += step, d += step) {
            for (int k = 0; k < len; k += L) {
                FloatVector.fromArray(S, src, si + k).intoArray(dst, d + k);
            }
        }
    }

    /** The offsets {@link #gatherColumns} gathers at: L channels, planes of {@code stride} floats apart. */
    static int[] gatherOffsets(int stride) {
        int[] o = new int[L];
        for (int k = 0; k < L; k++) {
            o[k] = k * stride;
        }
        return o;
    }

    /**
     * One image row to channels last: {@code xh[d + ix·c + k] = x[src + ix + k·stride]} for
     * ix in [0, w) and k in [0, L), a gather of L channels (offsets from {@link #gatherOffsets})
     * and one vector store per pixel.
     */
    static void gatherColumns(float[] x, int src, int w, int[] offsets, float[] xh, int d, int c) {
        for (int ix = 0; ix < w; ix++) {
            FloatVector.fromArray(S, x, src + ix, offsets, 0).intoArray(xh, d + ix * c);
        }
    }

    /** Pixels per tile of {@link #kernelPixels}. */
    static final int PR = 7;

    /**
     * Whether {@link #kernelPixelPair} suits this JVM and CPU: with 16-lane vectors (it needs 31
     * vector registers; AVX2 has 16) on JDK 25 or newer (JDK 17's C2 compiled it ~2.5× slower
     * than two {@code kernelPixels} calls in the batch-1 forward: 21.2 against 15.3 ms; JDKs
     * between were not measured).
     */
    static final boolean PAIRS_FAST = L == 16 && Runtime.version().feature() >= 25;

    /**
     * tile[PR×NR] (+)= the PR pixels' inputs along one kernel row · a packed NR-channel weight
     * panel, over c steps: the transposed tile of {@link #kernelRows}, output channels in the
     * lanes and pixels broadcast. Step q reads pixel r's input at {@code x[r0 + pr + q]} (a
     * channels-last image, where a kernel row's kw taps of all channels are one run: the row's
     * offset plus the pixel's) and the weights at {@code wp[wi + q·NR ..]}; every index steps
     * by one, so C2 hoists the bounds checks. Its fourteen accumulators, two weight vectors and
     * one broadcast need 17 of AVX-512's 32 registers. The caller loops over the kernel rows,
     * the tile carrying the sums from one to the next ({@code add}): one loop per call, which
     * JDK 17 compiles without boxing the accumulators (a nested loop made it ~100× slower
     * there). The tile starts at ti.
     */
    static void kernelPixels(int c, int r0, float[] x, int p0, int p1, int p2, int p3, int p4, int p5, int p6,
                             float[] wp, int wi, float[] tile, int ti, boolean add) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61;
        if (add) {
            c00 = FloatVector.fromArray(S, tile, ti);
            c01 = FloatVector.fromArray(S, tile, ti + L);
            c10 = FloatVector.fromArray(S, tile, ti + NR);
            c11 = FloatVector.fromArray(S, tile, ti + NR + L);
            c20 = FloatVector.fromArray(S, tile, ti + 2 * NR);
            c21 = FloatVector.fromArray(S, tile, ti + 2 * NR + L);
            c30 = FloatVector.fromArray(S, tile, ti + 3 * NR);
            c31 = FloatVector.fromArray(S, tile, ti + 3 * NR + L);
            c40 = FloatVector.fromArray(S, tile, ti + 4 * NR);
            c41 = FloatVector.fromArray(S, tile, ti + 4 * NR + L);
            c50 = FloatVector.fromArray(S, tile, ti + 5 * NR);
            c51 = FloatVector.fromArray(S, tile, ti + 5 * NR + L);
            c60 = FloatVector.fromArray(S, tile, ti + 6 * NR);
            c61 = FloatVector.fromArray(S, tile, ti + 6 * NR + L);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c60 = c61 = FloatVector.zero(S);
        }
        for (int q = 0; q < c; q++) {
            int bp = wi + q * NR;
            int xq = r0 + q;
            FloatVector b0 = FloatVector.fromArray(S, wp, bp);
            FloatVector b1 = FloatVector.fromArray(S, wp, bp + L);
            FloatVector av = FloatVector.broadcast(S, x[xq + p0]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, x[xq + p1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, x[xq + p2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, x[xq + p3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, x[xq + p4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, x[xq + p5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(S, x[xq + p6]);
            c60 = av.fma(b0, c60);
            c61 = av.fma(b1, c61);
        }
        c00.intoArray(tile, ti);
        c01.intoArray(tile, ti + L);
        c10.intoArray(tile, ti + NR);
        c11.intoArray(tile, ti + NR + L);
        c20.intoArray(tile, ti + 2 * NR);
        c21.intoArray(tile, ti + 2 * NR + L);
        c30.intoArray(tile, ti + 3 * NR);
        c31.intoArray(tile, ti + 3 * NR + L);
        c40.intoArray(tile, ti + 4 * NR);
        c41.intoArray(tile, ti + 4 * NR + L);
        c50.intoArray(tile, ti + 5 * NR);
        c51.intoArray(tile, ti + 5 * NR + L);
        c60.intoArray(tile, ti + 6 * NR);
        c61.intoArray(tile, ti + 6 * NR + L);
    }

    /**
     * Two tiles of {@link #kernelPixels} at once: the pixels at {@code at[pa] .. at[pa + 13]},
     * rows 0–6 of the sums at {@code tile[ti ..]} and rows 7–13 at {@code tile[ti2 ..]}. Each
     * weight vector loaded serves fourteen pixels instead of seven, which halves the weight
     * traffic from L2 and memory (the first tile to meet a weight chunk streams it from
     * memory); the per-output sums are the same products in the same order, so the bits equal
     * two {@code kernelPixels} calls. Twenty-eight accumulators, two weight vectors and one
     * broadcast: 31 of AVX-512's 32 registers, so only for 16-lane vectors ({@link #PAIRS_FAST}).
     */
    static void kernelPixelPair(int c, int r0, float[] x, int[] at, int pa, float[] wp, int wi, float[] tile,
                                int ti, int ti2, boolean add) {
        int p0 = at[pa + 0];
        int p1 = at[pa + 1];
        int p2 = at[pa + 2];
        int p3 = at[pa + 3];
        int p4 = at[pa + 4];
        int p5 = at[pa + 5];
        int p6 = at[pa + 6];
        int p7 = at[pa + 7];
        int p8 = at[pa + 8];
        int p9 = at[pa + 9];
        int p10 = at[pa + 10];
        int p11 = at[pa + 11];
        int p12 = at[pa + 12];
        int p13 = at[pa + 13];
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111, c120, c121, c130, c131;
        if (add) {
            c00 = FloatVector.fromArray(S, tile, ti);
            c01 = FloatVector.fromArray(S, tile, ti + L);
            c10 = FloatVector.fromArray(S, tile, ti + 1 * NR);
            c11 = FloatVector.fromArray(S, tile, ti + 1 * NR + L);
            c20 = FloatVector.fromArray(S, tile, ti + 2 * NR);
            c21 = FloatVector.fromArray(S, tile, ti + 2 * NR + L);
            c30 = FloatVector.fromArray(S, tile, ti + 3 * NR);
            c31 = FloatVector.fromArray(S, tile, ti + 3 * NR + L);
            c40 = FloatVector.fromArray(S, tile, ti + 4 * NR);
            c41 = FloatVector.fromArray(S, tile, ti + 4 * NR + L);
            c50 = FloatVector.fromArray(S, tile, ti + 5 * NR);
            c51 = FloatVector.fromArray(S, tile, ti + 5 * NR + L);
            c60 = FloatVector.fromArray(S, tile, ti + 6 * NR);
            c61 = FloatVector.fromArray(S, tile, ti + 6 * NR + L);
            c70 = FloatVector.fromArray(S, tile, ti2);
            c71 = FloatVector.fromArray(S, tile, ti2 + L);
            c80 = FloatVector.fromArray(S, tile, ti2 + 1 * NR);
            c81 = FloatVector.fromArray(S, tile, ti2 + 1 * NR + L);
            c90 = FloatVector.fromArray(S, tile, ti2 + 2 * NR);
            c91 = FloatVector.fromArray(S, tile, ti2 + 2 * NR + L);
            c100 = FloatVector.fromArray(S, tile, ti2 + 3 * NR);
            c101 = FloatVector.fromArray(S, tile, ti2 + 3 * NR + L);
            c110 = FloatVector.fromArray(S, tile, ti2 + 4 * NR);
            c111 = FloatVector.fromArray(S, tile, ti2 + 4 * NR + L);
            c120 = FloatVector.fromArray(S, tile, ti2 + 5 * NR);
            c121 = FloatVector.fromArray(S, tile, ti2 + 5 * NR + L);
            c130 = FloatVector.fromArray(S, tile, ti2 + 6 * NR);
            c131 = FloatVector.fromArray(S, tile, ti2 + 6 * NR + L);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = c80 = c81 = c90 = c91 = c100 = c101 = c110 = c111 = c120 = c121 = c130 = c131 = FloatVector.zero(S);
        }
        for (int q = 0; q < c; q++) {
            int bp = wi + q * NR;
            int xq = r0 + q;
            FloatVector b0 = FloatVector.fromArray(S, wp, bp);
            FloatVector b1 = FloatVector.fromArray(S, wp, bp + L);
            FloatVector av = FloatVector.broadcast(S, x[xq + p0]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, x[xq + p1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, x[xq + p2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, x[xq + p3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, x[xq + p4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, x[xq + p5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(S, x[xq + p6]);
            c60 = av.fma(b0, c60);
            c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(S, x[xq + p7]);
            c70 = av.fma(b0, c70);
            c71 = av.fma(b1, c71);
            av = FloatVector.broadcast(S, x[xq + p8]);
            c80 = av.fma(b0, c80);
            c81 = av.fma(b1, c81);
            av = FloatVector.broadcast(S, x[xq + p9]);
            c90 = av.fma(b0, c90);
            c91 = av.fma(b1, c91);
            av = FloatVector.broadcast(S, x[xq + p10]);
            c100 = av.fma(b0, c100);
            c101 = av.fma(b1, c101);
            av = FloatVector.broadcast(S, x[xq + p11]);
            c110 = av.fma(b0, c110);
            c111 = av.fma(b1, c111);
            av = FloatVector.broadcast(S, x[xq + p12]);
            c120 = av.fma(b0, c120);
            c121 = av.fma(b1, c121);
            av = FloatVector.broadcast(S, x[xq + p13]);
            c130 = av.fma(b0, c130);
            c131 = av.fma(b1, c131);
        }
        c00.intoArray(tile, ti);
        c01.intoArray(tile, ti + L);
        c10.intoArray(tile, ti + 1 * NR);
        c11.intoArray(tile, ti + 1 * NR + L);
        c20.intoArray(tile, ti + 2 * NR);
        c21.intoArray(tile, ti + 2 * NR + L);
        c30.intoArray(tile, ti + 3 * NR);
        c31.intoArray(tile, ti + 3 * NR + L);
        c40.intoArray(tile, ti + 4 * NR);
        c41.intoArray(tile, ti + 4 * NR + L);
        c50.intoArray(tile, ti + 5 * NR);
        c51.intoArray(tile, ti + 5 * NR + L);
        c60.intoArray(tile, ti + 6 * NR);
        c61.intoArray(tile, ti + 6 * NR + L);
        c70.intoArray(tile, ti2);
        c71.intoArray(tile, ti2 + L);
        c80.intoArray(tile, ti2 + 1 * NR);
        c81.intoArray(tile, ti2 + 1 * NR + L);
        c90.intoArray(tile, ti2 + 2 * NR);
        c91.intoArray(tile, ti2 + 2 * NR + L);
        c100.intoArray(tile, ti2 + 3 * NR);
        c101.intoArray(tile, ti2 + 3 * NR + L);
        c110.intoArray(tile, ti2 + 4 * NR);
        c111.intoArray(tile, ti2 + 4 * NR + L);
        c120.intoArray(tile, ti2 + 5 * NR);
        c121.intoArray(tile, ti2 + 5 * NR + L);
        c130.intoArray(tile, ti2 + 6 * NR);
        c131.intoArray(tile, ti2 + 6 * NR + L);
    }

    /**
     * Σ a[ai + q]·b[bi + q] over q in [0, k), in the order of {@link Gemm#dotPlain}: four
     * vector accumulators take the products q < k − k mod 4L in turn (fused multiply-adds),
     * their lanes are added in order, then the remaining products one by one. No
     * {@code reduceLanes}, whose order the Vector API leaves open.
     */
    static float dot(int k, float[] a, int ai, float[] b, int bi, float[] spill) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
        FloatVector s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
        int full = k / (4 * L) * (4 * L);
        for (int q = 0; q < full; q += 4 * L) {
            s0 = FloatVector.fromArray(S, a, ai + q).fma(FloatVector.fromArray(S, b, bi + q), s0);
            s1 = FloatVector.fromArray(S, a, ai + q + L).fma(FloatVector.fromArray(S, b, bi + q + L), s1);
            s2 = FloatVector.fromArray(S, a, ai + q + 2 * L).fma(FloatVector.fromArray(S, b, bi + q + 2 * L), s2);
            s3 = FloatVector.fromArray(S, a, ai + q + 3 * L).fma(FloatVector.fromArray(S, b, bi + q + 3 * L), s3);
        }
        s0.intoArray(spill, 0);
        s1.intoArray(spill, L);
        s2.intoArray(spill, 2 * L);
        s3.intoArray(spill, 3 * L);
        float sum = 0f;
        for (int l = 0; l < 4 * L; l++) {
            sum += spill[l];
        }
        for (int q = full; q < k; q++) {
            sum = Math.fma(a[ai + q], b[bi + q], sum);
        }
        return sum;
    }
}
