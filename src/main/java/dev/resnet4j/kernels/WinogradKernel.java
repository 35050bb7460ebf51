package dev.resnet4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD transforms behind {@link Winograd}: the 1-D input transform {@code Bᵀ·d} and output
 * transform {@code Aᵀ·m} of F(2, 3) and F(4, 3), each applied to {@link #L} tiles at once (one
 * tile per lane). A 2-D transform is two 1-D passes, first along a tile's rows and then along
 * its columns, through a small scratch array.
 *
 * <p>Each pass reads its α inputs at {@code base + off[i]} and writes its outputs at
 * {@code d0 + r·ds}: the caller's offsets express every layout the passes see (phase planes,
 * the scratch array, the transformed matrices), so the arithmetic is written once per tile
 * size, straight-line, with no array of vectors for the compiler to box.
 *
 * <p>Kept apart from {@link Winograd} for the same reason as {@link GemmVectorKernel}: it is
 * touched only when the Vector API is present.
 */
final class WinogradKernel {
    /**
     * The GEMM's species (512 bits on AVX-512, 256 on AVX2). Narrower vectors would fill
     * better on the late layers' short tile rows, but mixing two float species in one JVM
     * pollutes the type profiles of the Vector API's shared code: after a Winograd forward
     * with 256-bit vectors, the training step's 512-bit kernels compiled afterwards boxed their
     * vectors (100 MB of garbage a step).
     */
    static final VectorSpecies<Float> S = GemmVectorKernel.S;
    /** Tiles per vector. */
    static final int L = S.length();
    /**
     * Whether {@link #phaseRow} and {@link #storeRow} are worth calling: they interleave with
     * two-vector rearranges, which JDK 25 compiles to a few permutes but JDK 17 leaves as
     * Java code (~100 ns a call, allocating, against ~10 ns); before 25 the plain loops run.
     */
    static final boolean SHUFFLES = Runtime.version().feature() >= 25;

    private WinogradKernel() {
    }

    private static FloatVector at(float[] s, int i) {
        return FloatVector.fromArray(S, s, i);
    }

    /** F(2,3) input: d[r] = (Bᵀ·s)[r], Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]. */
    static void input2(float[] s, int base, int[] off, float[] d, int d0, int ds) {
        FloatVector s0 = at(s, base + off[0]);
        FloatVector s1 = at(s, base + off[1]);
        FloatVector s2 = at(s, base + off[2]);
        FloatVector s3 = at(s, base + off[3]);
        s0.sub(s2).intoArray(d, d0);
        s1.add(s2).intoArray(d, d0 + ds);
        s2.sub(s1).intoArray(d, d0 + 2 * ds);
        s1.sub(s3).intoArray(d, d0 + 3 * ds);
    }

    /** F(2,3) output: d[r] = (Aᵀ·s)[r], Aᵀ = [1 1 1 0; 0 1 −1 −1]. */
    static void output2(float[] s, int base, int[] off, float[] d, int d0, int ds) {
        FloatVector s0 = at(s, base + off[0]);
        FloatVector s1 = at(s, base + off[1]);
        FloatVector s2 = at(s, base + off[2]);
        FloatVector s3 = at(s, base + off[3]);
        s0.add(s1).add(s2).intoArray(d, d0);
        s1.sub(s2).sub(s3).intoArray(d, d0 + ds);
    }

    /**
     * F(4,3) input (interpolation points 0, ±1, ±2, ∞): d = Bᵀ·s with
     * Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1].
     */
    static void input4(float[] s, int base, int[] off, float[] d, int d0, int ds) {
        FloatVector s0 = at(s, base + off[0]);
        FloatVector s1 = at(s, base + off[1]);
        FloatVector s2 = at(s, base + off[2]);
        FloatVector s3 = at(s, base + off[3]);
        FloatVector s4 = at(s, base + off[4]);
        FloatVector s5 = at(s, base + off[5]);
        FloatVector four = FloatVector.broadcast(S, 4f);
        FloatVector five = FloatVector.broadcast(S, -5f);
        FloatVector two = FloatVector.broadcast(S, 2f);
        s0.fma(four, s2.fma(five, s4)).intoArray(d, d0);
        FloatVector a = s2.fma(four.neg(), s4);   // s4 − 4·s2
        FloatVector b = s1.fma(four, s3.neg());   // 4·s1 − s3
        a.sub(b).intoArray(d, d0 + ds);
        a.add(b).intoArray(d, d0 + 2 * ds);
        FloatVector c = s4.sub(s2);
        FloatVector e = s1.sub(s3).mul(two);      // 2·(s1 − s3)
        c.sub(e).intoArray(d, d0 + 3 * ds);
        c.add(e).intoArray(d, d0 + 4 * ds);
        s1.fma(four, s3.fma(five, s5)).intoArray(d, d0 + 5 * ds);
    }

    /**
     * F(4,3) output: d = Aᵀ·s with
     * Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].
     */
    static void output4(float[] s, int base, int[] off, float[] d, int d0, int ds) {
        FloatVector s0 = at(s, base + off[0]);
        FloatVector s1 = at(s, base + off[1]);
        FloatVector s2 = at(s, base + off[2]);
        FloatVector s3 = at(s, base + off[3]);
        FloatVector s4 = at(s, base + off[4]);
        FloatVector s5 = at(s, base + off[5]);
        FloatVector p12 = s1.add(s2);
        FloatVector m12 = s1.sub(s2);
        FloatVector p34 = s3.add(s4);
        FloatVector m34 = s3.sub(s4);
        s0.add(p12).add(p34).intoArray(d, d0);
        m34.fma(FloatVector.broadcast(S, 2f), m12).intoArray(d, d0 + ds);
        p34.fma(FloatVector.broadcast(S, 4f), p12).intoArray(d, d0 + 2 * ds);
        m34.fma(FloatVector.broadcast(S, 8f), m12).add(s5).intoArray(d, d0 + 3 * ds);
    }

    /**
     * F(4,3) input along one row of L tiles whose windows lie anywhere in s: element j of
     * lane l is {@code s[base + j + window[wi + l]]} (one gather per element), otherwise as
     * {@link #input4} with rows ds apart.
     */
    static void input4Gathered(float[] s, int base, int[] window, int wi, float[] d, int d0, int ds) {
        FloatVector s0 = FloatVector.fromArray(S, s, base, window, wi);
        FloatVector s1 = FloatVector.fromArray(S, s, base + 1, window, wi);
        FloatVector s2 = FloatVector.fromArray(S, s, base + 2, window, wi);
        FloatVector s3 = FloatVector.fromArray(S, s, base + 3, window, wi);
        FloatVector s4 = FloatVector.fromArray(S, s, base + 4, window, wi);
        FloatVector s5 = FloatVector.fromArray(S, s, base + 5, window, wi);
        FloatVector four = FloatVector.broadcast(S, 4f);
        FloatVector five = FloatVector.broadcast(S, -5f);
        FloatVector two = FloatVector.broadcast(S, 2f);
        s0.fma(four, s2.fma(five, s4)).intoArray(d, d0);
        FloatVector a = s2.fma(four.neg(), s4);
        FloatVector b = s1.fma(four, s3.neg());
        a.sub(b).intoArray(d, d0 + ds);
        a.add(b).intoArray(d, d0 + 2 * ds);
        FloatVector c = s4.sub(s2);
        FloatVector e = s1.sub(s3).mul(two);
        c.sub(e).intoArray(d, d0 + 3 * ds);
        c.add(e).intoArray(d, d0 + 4 * ds);
        s1.fma(four, s3.fma(five, s5)).intoArray(d, d0 + 5 * ds);
    }

    /** F(2,3) input along one row of L tiles, gathered as in {@link #input4Gathered}. */
    static void input2Gathered(float[] s, int base, int[] window, int wi, float[] d, int d0, int ds) {
        FloatVector s0 = FloatVector.fromArray(S, s, base, window, wi);
        FloatVector s1 = FloatVector.fromArray(S, s, base + 1, window, wi);
        FloatVector s2 = FloatVector.fromArray(S, s, base + 2, window, wi);
        FloatVector s3 = FloatVector.fromArray(S, s, base + 3, window, wi);
        s0.sub(s2).intoArray(d, d0);
        s1.add(s2).intoArray(d, d0 + ds);
        s2.sub(s1).intoArray(d, d0 + 2 * ds);
        s1.sub(s3).intoArray(d, d0 + 3 * ds);
    }

    // Two-vector shuffles: an index k − L takes lane k of the second vector.
    private static final VectorShuffle<Float> ZIP_LO = VectorShuffle.fromOp(S, i -> i % 2 == 0 ? i / 2 : i / 2 - L);
    private static final VectorShuffle<Float> ZIP_HI =
            VectorShuffle.fromOp(S, i -> i % 2 == 0 ? L / 2 + i / 2 : L / 2 + i / 2 - L);
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> i < L / 2 ? 2 * i : 2 * i - 2 * L);
    private static final VectorShuffle<Float> ODD =
            VectorShuffle.fromOp(S, i -> i < L / 2 ? 2 * i + 1 : 2 * i + 1 - 2 * L);

    /**
     * One row of the m column-phase planes from an image row: the window of m·L padded
     * columns starting at padded column m·t0 (image column x0 = m·t0 − 1), image columns
     * outside [0, w) read as zero, split so that plane p gets columns p, p + m, … at
     * {@code d + p·plane}. Written out without helpers that take or return vectors: a call
     * the compiler does not inline would box them.
     */
    static void phaseRow(int m, float[] x, int row, int x0, int w, float[] planes, int d, int plane) {
        boolean inside = x0 >= 0 && x0 + m * L <= w;
        FloatVector v0 = inside ? FloatVector.fromArray(S, x, row + x0)
                : FloatVector.fromArray(S, x, row + x0, S.indexInRange(x0, w));
        FloatVector v1 = inside ? FloatVector.fromArray(S, x, row + x0 + L)
                : FloatVector.fromArray(S, x, row + x0 + L, S.indexInRange(x0 + L, w));
        if (m == 2) {
            v0.rearrange(EVEN, v1).intoArray(planes, d);
            v0.rearrange(ODD, v1).intoArray(planes, d + plane);
            return;
        }
        FloatVector v2 = inside ? FloatVector.fromArray(S, x, row + x0 + 2 * L)
                : FloatVector.fromArray(S, x, row + x0 + 2 * L, S.indexInRange(x0 + 2 * L, w));
        FloatVector v3 = inside ? FloatVector.fromArray(S, x, row + x0 + 3 * L)
                : FloatVector.fromArray(S, x, row + x0 + 3 * L, S.indexInRange(x0 + 3 * L, w));
        FloatVector e01 = v0.rearrange(EVEN, v1);
        FloatVector o01 = v0.rearrange(ODD, v1);
        FloatVector e23 = v2.rearrange(EVEN, v3);
        FloatVector o23 = v2.rearrange(ODD, v3);
        e01.rearrange(EVEN, e23).intoArray(planes, d);
        o01.rearrange(EVEN, o23).intoArray(planes, d + plane);
        e01.rearrange(ODD, e23).intoArray(planes, d + 2 * plane);
        o01.rearrange(ODD, o23).intoArray(planes, d + 3 * plane);
    }

    /**
     * The epilogue of one output row of L tiles: {@code out[oi + c·L + l]} is column c of tile
     * l (m columns each); interleaved, they are y[di …). The first {@code valid} of those m·L
     * values (the rest lie past the row's end) get + b, + the residual at the same place, then
     * ReLU. The interleave goes through {@code spill} (m·L floats) so that no vector crosses
     * a call.
     */
    static void storeRow(int m, float[] out, int oi, float b, float[] residual, boolean relu, float[] y, int di,
                         int valid, float[] spill) {
        FloatVector c0 = at(out, oi);
        FloatVector c1 = at(out, oi + L);
        if (m == 2) {
            c0.rearrange(ZIP_LO, c1).intoArray(spill, 0);
            c0.rearrange(ZIP_HI, c1).intoArray(spill, L);
        } else {
            FloatVector c2 = at(out, oi + 2 * L);
            FloatVector c3 = at(out, oi + 3 * L);
            FloatVector lo02 = c0.rearrange(ZIP_LO, c2);
            FloatVector hi02 = c0.rearrange(ZIP_HI, c2);
            FloatVector lo13 = c1.rearrange(ZIP_LO, c3);
            FloatVector hi13 = c1.rearrange(ZIP_HI, c3);
            lo02.rearrange(ZIP_LO, lo13).intoArray(spill, 0);
            lo02.rearrange(ZIP_HI, lo13).intoArray(spill, L);
            hi02.rearrange(ZIP_LO, hi13).intoArray(spill, 2 * L);
            hi02.rearrange(ZIP_HI, hi13).intoArray(spill, 3 * L);
        }
        // whole vectors, then the rest value by value (the same operations: same bits)
        int k = 0;
        for (; k + L <= valid; k += L) {
            FloatVector v = FloatVector.fromArray(S, spill, k).add(b);
            if (residual != null) {
                v = v.add(FloatVector.fromArray(S, residual, di + k));
            }
            if (relu) {
                v = v.max(0f);
            }
            v.intoArray(y, di + k);
        }
        for (; k < valid; k++) {
            float v = spill[k] + b;
            if (residual != null) {
                v += residual[di + k];
            }
            y[di + k] = relu ? Math.max(v, 0f) : v;
        }
    }
}
