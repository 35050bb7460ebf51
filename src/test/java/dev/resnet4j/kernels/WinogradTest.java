package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Winograd F(2,3) and F(4,3) against a double-precision direct convolution, over map sizes that
 * are and are not multiples of the tile, channel counts on both sides of the GEMM's blocks,
 * batches that group differently, 1 and 2 threads, with and without bias, residual and ReLU; the
 * vector transforms against their plain twins bit for bit; the products' row tiles two at a time
 * ({@code kernelRowPair}) and one at a time, bit for bit; and the size of the error next to
 * the direct product's (the figure docs/performance.md quotes).
 */
class WinogradTest {
    private static final int DEFAULT_THREADS = Parallel.threads();
    private static final boolean DEFAULT_GEMM_PAIRS = Gemm.PAIRS;

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(DEFAULT_THREADS);
    }

    /** {c, h, w, outC} */
    private static final int[][] CASES = {
        {3, 8, 8, 5}, {4, 9, 7, 6}, {16, 14, 14, 32}, {8, 7, 7, 16}, {5, 1, 1, 3}, {2, 2, 3, 4},
        {64, 56, 56, 64}, {13, 23, 21, 17}, {300, 6, 5, 20}, {20, 5, 6, 150}, {1, 30, 31, 2},
    };

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void matchesDirectConvolution(int threads) throws InterruptedException {
        Gemm.awaitVectorKernel(120_000);
        Parallel.setThreads(threads);
        Random rnd = new Random(41 + threads);
        int[] modes = new int[2]; // shapes run along tile rows / gathered tile by tile
        for (int m : new int[]{2, 4}) {
            for (int n : new int[]{1, 3, 10}) {
                for (int[] t : CASES) {
                    Convolution.Shape s = new Convolution.Shape(n, t[0], t[1], t[2], t[3], 3, 3, 1, 1);
                    if ((long) n * t[0] * t[1] * t[2] * t[3] > 30_000_000L && n > 1) {
                        continue; // the 56×56×64 case once per tile size is enough
                    }
                    float[] x = random(rnd, n * s.c() * s.h() * s.w());
                    float[] w = random(rnd, s.outC() * s.c() * 9);
                    float[] bias = random(rnd, s.outC());
                    float[] residual = random(rnd, n * s.outC() * s.h() * s.w());
                    float[] u = Winograd.transformWeights(m, w, s.outC(), s.c());
                    modes[new Winograd.Plan(m, s).byRows() ? 0 : 1]++;
                    for (int variant = 0; variant < 2; variant++) {
                        boolean full = variant == 1;
                        float[] y = random(rnd, residual.length); // every element must be written
                        Winograd.forward(m, s, x, u, full ? bias : null, full ? residual : null, full, y);
                        float[] flipped = new float[y.length];
                        Gemm.PAIRS = !DEFAULT_GEMM_PAIRS;
                        try {
                            Winograd.forward(m, s, x, u, full ? bias : null, full ? residual : null, full, flipped);
                        } finally {
                            Gemm.PAIRS = DEFAULT_GEMM_PAIRS;
                        }
                        for (int j = 0; j < y.length; j++) {
                            assertEquals(Float.floatToRawIntBits(y[j]), Float.floatToRawIntBits(flipped[j]),
                                    "F(" + m + ",3) n=" + n + " " + java.util.Arrays.toString(t) + " y[" + j
                                            + "] with the products' row tiles two at a time and one at a time");
                        }
                        double[] want = DirectReference.conv(s, x, w, full ? bias : null, full ? residual : null, full);
                        // F(m,3) sums 9·C products through transforms with coefficients up to
                        // 8 (F(4,3)): allow a few ulps of the terms' magnitude, scaled by tile
                        double scale = Math.sqrt(9.0 * s.c()); // random ±1 data: |y| ~ √(9C)
                        double tol = (m == 4 ? 2e-5 : 4e-6) * scale;
                        for (int j = 0; j < y.length; j++) {
                            double err = Math.abs(y[j] - want[j]);
                            if (!(err <= tol)) {
                                throw new AssertionError("F(" + m + ",3) threads=" + threads + " n=" + n + " "
                                        + java.util.Arrays.toString(t) + " full=" + full + " y[" + j + "] = " + y[j]
                                        + ", direct " + want[j] + " (error " + err + " > " + tol + ")");
                            }
                        }
                    }
                }
            }
        }
        assertTrue(modes[0] > 0 && modes[1] > 0, "both transform layouts covered: " + java.util.Arrays.toString(modes));
    }

    @Test
    void vectorTransformsEqualPlainOnes() {
        assertEquals(WinogradKernel.L, Winograd.L, "lanes of the two transform versions");
        Random rnd = new Random(5);
        float[] s = random(rnd, 64);
        int[] off = {0, 9, 17, 26, 33, 41};
        for (int rep = 0; rep < 100; rep++) {
            for (int i = 0; i < s.length; i++) {
                s[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(6) - 3));
            }
            float[][] got = new float[12][6 * (L + 1) + L + 8];
            int ds = L + 1; // rows apart by more than a vector: no overlapping stores
            WinogradKernel.input2(s, 3, off, got[0], 1, ds);
            Winograd.input2(s, 3, off, got[1], 1, ds);
            WinogradKernel.input4(s, 3, off, got[2], 1, ds);
            Winograd.input4(s, 3, off, got[3], 1, ds);
            WinogradKernel.output2(s, 3, off, got[4], 1, ds);
            Winograd.output2(s, 3, off, got[5], 1, ds);
            WinogradKernel.output4(s, 3, off, got[6], 1, ds);
            Winograd.output4(s, 3, off, got[7], 1, ds);
            // the gathering versions: element j of lane l at 3 + j + window[l]
            int[] window = new int[L + 2];
            for (int l = 0; l < window.length; l++) {
                window[l] = rnd.nextInt(s.length - 9);
            }
            float[] lanes = new float[6 * L];
            for (int j = 0; j < 6; j++) {
                for (int l = 0; l < L; l++) {
                    lanes[j * L + l] = s[3 + j + window[2 + l]];
                }
            }
            int[] laneOff = {0, L, 2 * L, 3 * L, 4 * L, 5 * L};
            WinogradKernel.input2Gathered(s, 3, window, 2, got[8], 1, ds);
            WinogradKernel.input2(lanes, 0, laneOff, got[9], 1, ds);
            WinogradKernel.input4Gathered(s, 3, window, 2, got[10], 1, ds);
            WinogradKernel.input4(lanes, 0, laneOff, got[11], 1, ds);
            for (int k = 0; k < 12; k += 2) {
                for (int j = 0; j < got[k].length; j++) {
                    assertEquals(Float.floatToRawIntBits(got[k + 1][j]), Float.floatToRawIntBits(got[k][j]),
                            "transform " + k / 2 + " element " + j);
                }
            }
        }
    }

    /**
     * The vector paths that only move data against their plain versions, in every
     * combination, bit for bit: gathers of the small-map windows from padded planes
     * ({@link Winograd#GATHER}) against the window-by-window copy, and the vector
     * (de)interleaves of the phase planes and output rows ({@link Winograd#INTERLEAVE}, on by
     * default on JDK 25+) against plain loops; over both layouts, map sizes that cut tiles,
     * batches that cut blocks inside images, both tile sizes, 1 and 2 threads; and the default
     * blocks against blocks of one panel (how the tiles are cut into blocks changes no bit).
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void dataMovementVariantsGiveTheSameBits(int threads) throws InterruptedException {
        Gemm.awaitVectorKernel(120_000);
        Parallel.setThreads(threads);
        Random rnd = new Random(77);
        boolean gather = Winograd.GATHER;
        boolean interleave = Winograd.INTERLEAVE;
        long budget = Winograd.BLOCK_BYTES;
        int perWorker = Winograd.BLOCKS_PER_WORKER;
        int[] layouts = new int[2];
        try {
            for (int m : new int[]{2, 4}) {
                for (int[] t : new int[][]{{16, 14, 14, 32}, {8, 7, 7, 16}, {13, 23, 21, 17}, {5, 1, 1, 3},
                        {24, 28, 28, 8}, {3, 9, 5, 70}, {6, 56, 56, 5}, {4, 50, 45, 6}}) {
                    for (int n : new int[]{1, 7}) {
                        Convolution.Shape s = new Convolution.Shape(n, t[0], t[1], t[2], t[3], 3, 3, 1, 1);
                        layouts[new Winograd.Plan(m, s).byRows() ? 0 : 1]++;
                        float[] x = random(rnd, n * s.c() * s.h() * s.w());
                        float[] u = Winograd.transformWeights(m, random(rnd, s.outC() * s.c() * 9), s.outC(), s.c());
                        float[] bias = random(rnd, s.outC());
                        float[] residual = random(rnd, n * s.outC() * s.h() * s.w());
                        float[][] y = new float[6][residual.length];
                        for (int v = 0; v < 6; v++) {
                            // v = 4, 5: a 16 KB block budget, so blocks of one panel that cut tile rows and
                            // images, and no extra blocks per worker
                            Winograd.GATHER = (v & 1) != 0;
                            Winograd.INTERLEAVE = (v & 2) != 0;
                            Winograd.BLOCK_BYTES = v >= 4 ? 16 << 10 : budget;
                            Winograd.BLOCKS_PER_WORKER = v >= 4 ? 0 : perWorker;
                            Winograd.forward(m, s, x, u, bias, residual, true, y[v]);
                        }
                        for (int v = 1; v < 6; v++) {
                            for (int j = 0; j < y[0].length; j++) {
                                assertEquals(Float.floatToRawIntBits(y[0][j]), Float.floatToRawIntBits(y[v][j]),
                                        "F(" + m + ",3) n=" + n + " " + java.util.Arrays.toString(t) + " gather="
                                                + ((v & 1) != 0) + " interleave=" + ((v & 2) != 0) + " small blocks="
                                                + (v >= 4) + " y[" + j + "]");
                            }
                        }
                    }
                }
            }
        } finally {
            Winograd.GATHER = gather;
            Winograd.INTERLEAVE = interleave;
            Winograd.BLOCK_BYTES = budget;
            Winograd.BLOCKS_PER_WORKER = perWorker;
        }
        assertTrue(layouts[0] >= 4 && layouts[1] >= 12, "layouts covered: " + java.util.Arrays.toString(layouts));
    }

    /** The vector interleaves (used on JDK 25+) against their definitions, edges included. */
    @Test
    void vectorInterleavesMatchTheirDefinitions() {
        Random rnd = new Random(8);
        float[] x = random(rnd, 200);
        int plane = 50;
        for (int m : new int[]{2, 4}) {
            for (int x0 : new int[]{-1, 3, 7, 20, 31}) {
                int w = 37;
                float[] planes = new float[m * plane];
                WinogradKernel.phaseRow(m, x, 100, x0, w, planes, 5, plane);
                for (int p = 0; p < m; p++) {
                    for (int l = 0; l < L; l++) {
                        int col = x0 + m * l + p;
                        float want = col >= 0 && col < w ? x[100 + col] : 0f;
                        assertEquals(want, planes[p * plane + 5 + l], "phaseRow m=" + m + " x0=" + x0 + " p=" + p + " l=" + l);
                    }
                }
            }
            for (int valid : new int[]{m * L, 7, 1, m * L - 3}) {
                for (int variant = 0; variant < 2; variant++) {
                    boolean full = variant == 1;
                    float[] out = random(rnd, 4 * L + 8);
                    float[] residual = random(rnd, 4 * L + 20);
                    float[] y = random(rnd, 4 * L + 20);
                    float[] before = y.clone();
                    WinogradKernel.storeRow(m, out, 2, 0.25f, full ? residual : null, full, y, 10, valid, new float[4 * L]);
                    for (int j = 0; j < y.length; j++) {
                        int k = j - 10;
                        float want = before[j];
                        if (k >= 0 && k < valid) {
                            float v = out[2 + (k % m) * L + k / m] + 0.25f;
                            if (full) {
                                v = Math.max(v + residual[j], 0f);
                            }
                            want = v;
                        }
                        assertEquals(want, y[j], "storeRow m=" + m + " valid=" + valid + " full=" + full + " y[" + j + "]");
                    }
                }
            }
        }
    }

    private static final int L = Winograd.L;

    /**
     * How far F(2,3) and F(4,3) move from the exact result, next to the direct float product,
     * on a ResNet-like layer (C = outC = 256, 14×14): F(2,3) stays within 4x of direct and
     * F(4,3) within 20x, both far under the 1e-4 parity tolerance.
     */
    @Test
    void errorComparedWithDirectProduct() throws InterruptedException {
        Gemm.awaitVectorKernel(120_000);
        Random rnd = new Random(77);
        Convolution.Shape s = new Convolution.Shape(2, 256, 14, 14, 256, 3, 3, 1, 1);
        float[] x = random(rnd, 2 * 256 * 196);
        float[] w = random(rnd, 256 * 256 * 9);
        double[] exact = DirectReference.conv(s, x, w, null, null, false);
        float[] y = new float[exact.length];
        Convolution.forward(s, x, w, null, y);
        double direct = rms(y, exact);
        double[] err = new double[5];
        for (int m : new int[]{2, 4}) {
            Winograd.forward(m, s, x, Winograd.transformWeights(m, w, 256, 256), null, null, false, y);
            err[m] = rms(y, exact);
        }
        System.out.printf("Winograd error (rms, relative to rms |y|): direct %.2e, F(2,3) %.2e, F(4,3) %.2e%n",
                direct, err[2], err[4]);
        assertTrue(err[2] < 4 * direct + 1e-9, "F(2,3) error " + err[2] + " vs direct " + direct);
        assertTrue(err[4] < 20 * direct + 1e-9, "F(4,3) error " + err[4] + " vs direct " + direct);
        assertTrue(err[4] < 1e-5, "F(4,3) relative error " + err[4]);
    }

    @Test
    void refusesOtherShapes() {
        Convolution.Shape strided = new Convolution.Shape(1, 4, 8, 8, 4, 3, 3, 2, 1);
        assertEquals(0, Winograd.tileFor(strided, 4));
        assertEquals(0, Winograd.tileFor(new Convolution.Shape(1, 4, 8, 8, 4, 1, 1, 1, 0), 4));
        assertEquals(0, Winograd.tileFor(new Convolution.Shape(1, 4, 8, 8, 4, 3, 3, 1, 1), 0));
        assertEquals(4, Winograd.tileFor(new Convolution.Shape(8, 4, 8, 8, 4, 3, 3, 1, 1), 4));
        // ResNet-18 at 224 px: F(4,3) where it has the pixels, F(2,3) on layer3 at batch 1 and
        // layer4 at batches 2–7, direct for layer4 at batch 1
        assertEquals(4, Winograd.tileFor(new Convolution.Shape(1, 64, 56, 56, 64, 3, 3, 1, 1), 4));
        assertEquals(4, Winograd.tileFor(new Convolution.Shape(1, 128, 28, 28, 128, 3, 3, 1, 1), 4));
        assertEquals(2, Winograd.tileFor(new Convolution.Shape(1, 256, 14, 14, 256, 3, 3, 1, 1), 4));
        assertEquals(4, Winograd.tileFor(new Convolution.Shape(2, 256, 14, 14, 256, 3, 3, 1, 1), 4));
        assertEquals(0, Winograd.tileFor(new Convolution.Shape(1, 512, 7, 7, 512, 3, 3, 1, 1), 4));
        assertEquals(2, Winograd.tileFor(new Convolution.Shape(2, 512, 7, 7, 512, 3, 3, 1, 1), 4));
        assertEquals(2, Winograd.tileFor(new Convolution.Shape(7, 512, 7, 7, 512, 3, 3, 1, 1), 4));
        assertEquals(4, Winograd.tileFor(new Convolution.Shape(8, 512, 7, 7, 512, 3, 3, 1, 1), 4));
        assertEquals(2, Winograd.tileFor(new Convolution.Shape(1, 256, 14, 14, 256, 3, 3, 1, 1), 2));
        assertEquals(0, Winograd.tileFor(new Convolution.Shape(1, 512, 7, 7, 512, 3, 3, 1, 1), 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                Winograd.forward(4, strided, new float[256], new float[16 * 36], null, null, false, new float[64]));
        assertTrue(e.getMessage().contains("stride 1"), e.getMessage());
    }

    private static double rms(float[] y, double[] exact) {
        double e = 0;
        double v = 0;
        for (int j = 0; j < y.length; j++) {
            e += (y[j] - exact[j]) * (y[j] - exact[j]);
            v += exact[j] * exact[j];
        }
        return Math.sqrt(e / v);
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = rnd.nextFloat() * 2 - 1;
        }
        return a;
    }
}
