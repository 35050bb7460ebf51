package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** {@link Gemm#sgemm} against the scalar {@link Gemm#reference}, over shapes, layouts, threads. */
class GemmTest {
    private static final int DEFAULT_THREADS = Parallel.threads();

    /**
     * Names the kernel under test in the log. Run the suite once per kernel:
     * {@code -Dresnet4j.gemm.species=256} and {@code -Dresnet4j.gemm.scalar=true} select the
     * 256-bit and plain-Java kernels.
     */
    @BeforeAll
    static void vectorKernelIsWarm() throws InterruptedException {
        System.out.println("GemmTest kernel: " + Gemm.kernelName());
        assertTrue(Gemm.awaitVectorKernel(120_000), "vector kernel never became ready");
    }

    /** The plain kernel, used while the vector one compiles, over every transpose. */
    @Test
    void coldPathMatchesReference() {
        Random rnd = new Random(11);
        for (int t = 0; t < 4; t++) {
            float[][] abc = {new float[37 * 41], new float[41 * 29], new float[37 * 29]};
            fillRandom(rnd, abc[0]);
            fillRandom(rnd, abc[1]);
            float[] expected = new float[37 * 29];
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
            Gemm.reference(ta, tb, 37, 29, 41, abc[0], 0, ta ? 37 : 41, abc[1], 0, tb ? 41 : 29,
                    expected, 0, 29, false);
            Gemm.blocked(false, ta, tb, 37, 29, 41, abc[0], 0, ta ? 37 : 41, abc[1], 0, tb ? 41 : 29,
                    abc[2], 0, 29, false);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], abc[2][i], 1e-4);
            }
        }
    }

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(DEFAULT_THREADS);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void smallAndOddShapesAllTransposes(int threads) {
        Parallel.setThreads(threads);
        int[] sizes = {1, 2, 3, 5, 6, 7, 8, 13, 16, 17, 31, 33};
        Random rnd = new Random(threads);
        int cases = 0;
        for (int m : sizes) {
            for (int n : sizes) {
                for (int k : new int[] {1, 4, 27, 37}) {
                    check(rnd, rnd.nextBoolean(), rnd.nextBoolean(), m, n, k, rnd.nextBoolean(), false);
                    cases++;
                }
            }
        }
        assertEquals(sizes.length * sizes.length * 4, cases);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void randomShapesWithOffsetsAndPaddedLeadingDims(int threads) {
        Parallel.setThreads(threads);
        Random rnd = new Random(100 + threads);
        for (int i = 0; i < 60; i++) {
            int m = 1 + rnd.nextInt(i % 3 == 0 ? 300 : 40);
            int n = 1 + rnd.nextInt(i % 4 == 0 ? 300 : 40);
            int k = 1 + rnd.nextInt(i % 5 == 0 ? 600 : 60);
            check(rnd, rnd.nextBoolean(), rnd.nextBoolean(), m, n, k, rnd.nextBoolean(), true);
        }
    }

    /** Every transpose combination on sizes that cross the MC, KC and NR block edges. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void blockEdges(int threads) {
        Parallel.setThreads(threads);
        Random rnd = new Random(7 + threads);
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                for (boolean acc : new boolean[] {false, true}) {
                    check(rnd, ta, tb, Gemm.MC + 7, 2 * Gemm.NR + 3, Gemm.KC + 13, acc, true);
                    check(rnd, ta, tb, 97, 101, 2 * Gemm.KC + 1, acc, false);
                }
            }
        }
    }

    /**
     * The shapes the layers produce: conv im2col, linear layers, k = 27 stem, m = 1, few rows
     * against a transposed B (weight gradients).
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void networkShapes(int threads) {
        Parallel.setThreads(threads);
        Random rnd = new Random(42);
        int[][] shapes = {{64, 3136, 27}, {10, 128, 512}, {1, 1000, 512}, {1000, 1, 512},
            {64, 196, 576}, {128, 49, 1152}, {3, 7, 1}, {48, 300, 700}, {40, 257, 33}, {256, 300, 20}};
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                check(rnd, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], t == 3, t == 2);
            }
        }
    }

    @Test
    void largeSquareUsesBothThreadsCorrectly() {
        Parallel.setThreads(2);
        Random rnd = new Random(3);
        check(rnd, false, false, 257, 259, 263, false, true);
        check(rnd, true, true, 300, 120, 513, true, false);
    }

    /** Layers may call sgemm from inside a parallel loop (one image per task): buffers are per thread. */
    @Test
    void concurrentCallsFromParallelTasks() {
        Parallel.setThreads(2);
        int count = 6;
        int m = 70, n = 300, k = 200;
        Random rnd = new Random(9);
        float[][] as = new float[count][m * k];
        float[][] bs = new float[count][k * n];
        float[][] cs = new float[count][m * n];
        for (int t = 0; t < count; t++) {
            fillRandom(rnd, as[t]);
            fillRandom(rnd, bs[t]);
        }
        Parallel.forEach(count, t -> Gemm.sgemm(false, t % 2 == 1, m, n, k, as[t], 0, k, bs[t], 0,
                t % 2 == 1 ? k : n, cs[t], 0, n, false));
        for (int t = 0; t < count; t++) {
            float[] expected = new float[m * n];
            Gemm.reference(false, t % 2 == 1, m, n, k, as[t], 0, k, bs[t], 0, t % 2 == 1 ? k : n,
                    expected, 0, n, false);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], cs[t][i], 1e-5 * k * Math.max(1, Math.abs(expected[i])));
            }
        }
    }

    @Test
    void tooSmallArraysAreReportedWithShapes() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> Gemm.sgemm(false, false, 4, 5, 6,
                        new float[23], 0, 6, new float[30], 0, 5, new float[20], 0, 5, false));
        assertTrue(e.getMessage().contains("A is 4×6"), e.getMessage());
    }

    @Test
    void zeroSizesAreNoOpsOrClear() {
        float[] c = {1, 2, 3, 4};
        Gemm.sgemm(false, false, 2, 2, 0, new float[0], 0, 1, new float[0], 0, 2, c, 0, 2, true);
        assertEquals(1f, c[0]);
        Gemm.sgemm(false, false, 2, 2, 0, new float[0], 0, 1, new float[0], 0, 2, c, 0, 2, false);
        assertEquals(0f, c[3]);
        Gemm.sgemm(false, false, 0, 2, 3, new float[0], 0, 3, new float[6], 0, 2, c, 0, 2, false);
    }

    /** Scalar fallback kernel over the same packing, as used without the Vector API. */
    @Test
    void scalarKernelMatchesVectorLayout() {
        int kc = 5;
        float[] a = new float[kc * Gemm.MR];
        float[] b = new float[kc * Gemm.NR];
        Random rnd = new Random(5);
        fillRandom(rnd, a);
        fillRandom(rnd, b);
        float[] c = new float[Gemm.MR * Gemm.NR];
        Gemm.scalarKernel(kc, a, 0, b, 0, c);
        for (int r = 0; r < Gemm.MR; r++) {
            for (int j = 0; j < Gemm.NR; j++) {
                double s = 0;
                for (int p = 0; p < kc; p++) {
                    s += a[r * kc + p] * b[p * Gemm.NR + j];
                }
                assertEquals(s, c[r * Gemm.NR + j], 1e-5);
            }
        }
    }

    /**
     * Runs sgemm and reference on the same random inputs, with optional offsets and leading
     * dimensions wider than the matrices, and checks C, including that padding is untouched.
     */
    static void check(Random rnd, boolean ta, boolean tb, int m, int n, int k, boolean accumulate,
                      boolean padded) {
        int aOff = padded ? rnd.nextInt(5) : 0;
        int bOff = padded ? rnd.nextInt(5) : 0;
        int cOff = padded ? rnd.nextInt(5) : 0;
        int lda = (ta ? m : k) + (padded ? rnd.nextInt(4) : 0);
        int ldb = (tb ? k : n) + (padded ? rnd.nextInt(4) : 0);
        int ldc = n + (padded ? rnd.nextInt(4) : 0);
        float[] a = new float[aOff + lda * (ta ? k : m)];
        float[] b = new float[bOff + ldb * (tb ? n : k)];
        float[] c = new float[cOff + ldc * m + 3];
        fillRandom(rnd, a);
        fillRandom(rnd, b);
        fillRandom(rnd, c);
        float[] expected = c.clone();
        Gemm.reference(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, expected, cOff, ldc, accumulate);
        Gemm.sgemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        // Float accumulation error grows with k; values are O(1), so sums are O(sqrt(k)).
        double tol = 1e-5 * Math.max(1, k) + 1e-6;
        for (int idx = 0; idx < c.length; idx++) {
            int rel = idx - cOff;
            boolean inside = rel >= 0 && rel / ldc < m && rel % ldc < n;
            double diff = Math.abs(c[idx] - expected[idx]);
            double scale = Math.max(1.0, Math.abs(expected[idx]));
            if (inside ? diff > tol * scale : c[idx] != expected[idx]) {
                fail(String.format("ta=%b tb=%b m=%d n=%d k=%d acc=%b padded=%b threads=%d: "
                                + "C[%d,%d] = %s, expected %s%s", ta, tb, m, n, k, accumulate, padded,
                        Parallel.threads(), rel / ldc, rel % ldc, c[idx], expected[idx],
                        inside ? "" : " (outside C: must be untouched)"));
            }
        }
    }

    static void fillRandom(Random rnd, float[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextFloat() * 2 - 1;
        }
    }
}
