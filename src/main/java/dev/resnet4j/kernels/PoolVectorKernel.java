package dev.resnet4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 3×3, stride-2 max-pool of ResNet's stem over rows of the fused stem's product band
 * ({@link ConvMaxPool}), with the vector kernel's species: the window's rows are reduced
 * vertically in vectors, then each run of three along the row in vectors, and every second one
 * is gathered out; the bias and ReLU follow in vectors. Maxima are exact, so the result has the
 * same bits as {@link Pooling#rowMax} after the scalar row reduction, in any order. And the
 * pool of {@link PackedStem}, whose product rows hold each pixel's channels as a run: each
 * pooled pixel's window maximum over channel vectors ({@link #poolRow}). Kept apart from the
 * plain-Java classes like the other Vector API kernels; only used where the vector kernel is
 * (the fused stems run only then).
 */
final class PoolVectorKernel {
    private static final VectorSpecies<Float> S = GemmVectorKernel.S;
    private static final int L = S.length();
    /** Lane i reads element 2·i: every second value. */
    private static final int[] EVEN = evenMap();

    private PoolVectorKernel() {
    }

    private static int[] evenMap() {
        int[] m = new int[L];
        for (int i = 0; i < L; i++) {
            m[i] = 2 * i;
        }
        return m;
    }

    /** Floats of scratch {@link #row3s2} needs for rows of ow values. */
    static int scratchSize(int ow) {
        return 2 * (ow + 4 * L + 8);
    }

    /**
     * y[d + j] = epilogue(max over the rows [r0, r0 + rows) of grid (row stride wq) and
     * columns [2j − pp, 2j − pp + 3) ∩ [0, ow)) for j in [0, pw): one pooled row of a 3×3,
     * stride-2 max-pool with padding pp ∈ {0, 1}, then + b and ReLU if asked.
     */
    static void row3s2(float[] grid, int r0, int rows, int wq, int ow, int pp, float b, boolean relu, float[] y,
                       int d, int pw, float[] scratch) {
        // col[1 + ix] = max over the rows of column ix; col[0] and past ow: -∞ (the padding)
        int half = scratch.length / 2;
        float[] col = scratch;
        int full = ow / L * L;
        int i = 0;
        for (; i < full; i += L) {
            FloatVector v = FloatVector.fromArray(S, grid, r0 + i);
            for (int r = 1; r < rows; r++) {
                v = v.max(FloatVector.fromArray(S, grid, r0 + r * wq + i));
            }
            v.intoArray(col, 1 + i);
        }
        for (; i < ow; i++) {
            float v = grid[r0 + i];
            for (int r = 1; r < rows; r++) {
                v = Math.max(v, grid[r0 + r * wq + i]);
            }
            col[1 + i] = v;
        }
        col[0] = Float.NEGATIVE_INFINITY;
        int span = (pw + L - 1) / L * L * 2 + 2; // t is read up to here
        java.util.Arrays.fill(col, 1 + ow, span + 2 + L, Float.NEGATIVE_INFINITY);
        // t[k] = max(col[k], col[k + 1], col[k + 2]); the window of j starts at col[2j − pp + 1]
        float[] t = scratch;
        for (int k = 0; k < span; k += L) {
            FloatVector.fromArray(S, col, k).max(FloatVector.fromArray(S, col, k + 1))
                    .max(FloatVector.fromArray(S, col, k + 2)).intoArray(t, half + k);
        }
        FloatVector bias = FloatVector.broadcast(S, b);
        FloatVector zero = FloatVector.zero(S);
        int fullOut = pw / L * L;
        int j = 0;
        for (; j < fullOut; j += L) {
            FloatVector v = FloatVector.fromArray(S, t, half + 1 - pp + 2 * j, EVEN, 0).add(bias);
            (relu ? v.max(zero) : v).intoArray(y, d + j);
        }
        for (; j < pw; j++) {
            float v = t[half + 1 - pp + 2 * j] + b;
            y[d + j] = relu ? Math.max(v, 0f) : v;
        }
    }

    /**
     * Whether {@link #poolRow} takes a 3×3 window pixel by pixel, all its vectors of channels
     * in turn, rather than vector by vector across the row; tests flip it. Same bits.
     */
    static boolean PIXEL_MAJOR = true;

    /**
     * One pooled row over channels held as runs ({@link PackedStem}): for each pooled pixel q
     * and each vector v of channels, y[d + q·outC + v·L + l] = epilogue(max over the rows
     * i < rows and the window's columns ox of a[rowAt[i] + colAt[ox] + laneAt[v] + l]), the
     * window [q·ps − pp, q·ps − pp + pk) ∩ [0, ow); the epilogue + bias (+0 without one, as
     * {@link ConvMaxPool} adds 0), then ReLU if asked. A 3×3 window (ResNet's) runs as nine
     * loads and maxima in a row, its rows and columns clamped at the edges (a value twice does
     * not change a maximum): a loop per window cost 1.6× as much.
     */
    static void poolRow(float[] a, int[] rowAt, int rows, int[] colAt, int ow, int pw, int pk, int ps, int pp,
                        int[] laneAt, float[] bias, boolean relu, float[] y, int d, int outC) {
        int ra = rowAt[0];
        int rb = rowAt[Math.min(1, rows - 1)];
        int rc = rowAt[Math.min(2, rows - 1)];
        if (PIXEL_MAJOR && pk == 3 && rows <= 3) {
            // pixel by pixel, its vectors of channels in turn: one pixel's loads share lines,
            // and its stores are one run
            for (int q = 0; q < pw; q++) {
                int xs = Math.max(0, ps * q - pp);
                int xe = Math.min(ow, ps * q - pp + pk);
                int k0 = colAt[xs];
                int k1 = colAt[Math.min(xs + 1, xe - 1)];
                int k2 = colAt[xe - 1];
                int dq = d + q * outC;
                for (int v = 0; v < laneAt.length; v++) {
                    int la = laneAt[v];
                    FloatVector m = window3(a, ra, rb, rc, k0 + la, k1 + la, k2 + la);
                    m = bias == null ? m.add(0f) : m.add(FloatVector.fromArray(S, bias, v * L));
                    if (relu) {
                        m = m.max(0f);
                    }
                    m.intoArray(y, dq + v * L);
                }
            }
            return;
        }
        for (int v = 0; v < laneAt.length; v++) {
            int o = v * L;
            FloatVector b = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, o);
            int la = laneAt[v];
            for (int q = 0; q < pw; q++) {
                int xs = Math.max(0, ps * q - pp);
                int xe = Math.min(ow, ps * q - pp + pk);
                FloatVector m;
                if (pk == 3 && rows <= 3) {
                    int c0 = colAt[xs] + la;
                    int c1 = colAt[Math.min(xs + 1, xe - 1)] + la;
                    int c2 = colAt[xe - 1] + la;
                    m = window3(a, ra, rb, rc, c0, c1, c2);
                } else {
                    m = FloatVector.fromArray(S, a, ra + colAt[xs] + la);
                    for (int r = 0; r < rows; r++) {
                        int rr = rowAt[r] + la;
                        for (int ox = xs; ox < xe; ox++) {
                            m = m.max(FloatVector.fromArray(S, a, rr + colAt[ox]));
                        }
                    }
                }
                m = m.add(b);
                if (relu) {
                    m = m.max(0f);
                }
                m.intoArray(y, d + q * outC + o);
            }
        }
    }

    /** The maximum of a 3×3 window: rows at ra, rb, rc, columns at c0, c1, c2, row by row. */
    private static FloatVector window3(float[] a, int ra, int rb, int rc, int c0, int c1, int c2) {
        FloatVector m0 = FloatVector.fromArray(S, a, ra + c0).max(FloatVector.fromArray(S, a, ra + c1))
                .max(FloatVector.fromArray(S, a, ra + c2));
        FloatVector m1 = FloatVector.fromArray(S, a, rb + c0).max(FloatVector.fromArray(S, a, rb + c1))
                .max(FloatVector.fromArray(S, a, rb + c2));
        FloatVector m2 = FloatVector.fromArray(S, a, rc + c0).max(FloatVector.fromArray(S, a, rc + c1))
                .max(FloatVector.fromArray(S, a, rc + c2));
        return m0.max(m1).max(m2);
    }
}
