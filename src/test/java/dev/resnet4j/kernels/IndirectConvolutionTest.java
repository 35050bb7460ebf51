package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The indirect convolution ({@code Convolution.forwardIndirect}: B panels packed straight from
 * zero-padded phase planes of the image) against the formed im2col matrix multiplied by the
 * same GEMM (bit for bit) and by the scalar reference GEMM, over odd shapes, kernels, padding
 * and strides 1–3, channel counts on both sides of the GEMM's block size, batch 1 and more, 1
 * and 2 threads, with and without the fused bias, residual and ReLU; and against the plain
 * path ({@code -Dresnet4j.conv.indirect=false}) in the same run, including small maps that
 * inference now runs image by image instead of through the batched gather.
 */
class IndirectConvolutionTest {
    private static final int DEFAULT_THREADS = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(DEFAULT_THREADS);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void forwardEqualsFormedLoweringAndReference(int threads) throws InterruptedException {
        Gemm.awaitVectorKernel(120_000); // the indirect product runs once the vector kernel does
        Parallel.setThreads(threads);
        Random rnd = new Random(9 + threads);
        int[][] cases = {
            {3, 38, 41, 7, 7, 2, 3, 64}, {16, 40, 40, 3, 3, 1, 1, 64}, {6, 23, 21, 3, 3, 1, 1, 13},
            {5, 49, 50, 3, 3, 2, 1, 70}, {7, 52, 51, 1, 1, 2, 0, 150}, {2, 11, 10, 4, 3, 3, 2, 5},
            {3, 9, 7, 1, 1, 2, 0, 7}, {4, 8, 8, 3, 3, 1, 1, 6}, {2, 9, 8, 5, 5, 1, 4, 7},
            {3, 30, 31, 3, 2, 1, 2, 20}, {9, 33, 19, 3, 3, 1, 0, 144}, {5, 22, 25, 3, 3, 1, 1, 145},
            {3, 70, 75, 7, 7, 2, 3, 64}, {4, 40, 44, 3, 3, 3, 1, 30}, {8, 50, 47, 1, 1, 2, 0, 40},
            {6, 45, 46, 3, 3, 2, 1, 128}, {5, 61, 60, 2, 2, 2, 0, 9}, {20, 14, 14, 3, 3, 1, 1, 200},
            {30, 7, 7, 3, 3, 1, 1, 150}, {10, 15, 13, 3, 3, 2, 1, 300}, {4, 56, 56, 3, 3, 1, 1, 64},
            {12, 19, 21, 3, 3, 1, 1, 100}, {10, 20, 20, 3, 3, 2, 1, 40}, {16, 28, 28, 3, 3, 2, 1, 160},
        };
        int indirect = 0;
        for (int n : new int[]{1, 2, 3}) {
            for (int[] t : cases) {
                int c = t[0], h = t[1], w = t[2], kh = t[3], kw = t[4], s = t[5], p = t[6], oc = t[7];
                Convolution.Shape shape = new Convolution.Shape(n, c, h, w, oc, kh, kw, s, p);
                boolean gather = Convolution.batched(shape) && !Convolution.indirectOverBatched(shape);
                if (gather) {
                    continue; // the gather-table path, tested in Conv2dKernelsTest
                }
                // the plain path may be the batched one, whose blocking can differ (it drops
                // all-padding taps): equal up to rounding there
                boolean exact = !Convolution.batched(shape);
                indirect += Convolution.indirect(shape) ? 1 : 0;
                String what = "threads=" + threads + " n=" + n + " " + Arrays.toString(t);
                int k = c * kh * kw;
                int cols = shape.oh() * shape.ow();
                float[] x = random(rnd, n * c * h * w);
                float[] wt = random(rnd, oc * k);
                float[] bias = random(rnd, oc);
                float[] residual = random(rnd, n * oc * cols);
                for (int variant = 0; variant < 2; variant++) {
                    boolean full = variant == 1;
                    float[] y = random(rnd, n * oc * cols);
                    Convolution.forward(shape, x, wt, full ? bias : null, full ? residual : null, full, y);
                    float[] plain = new float[y.length];
                    Convolution.INDIRECT = false;
                    try {
                        Convolution.forward(shape, x, wt, full ? bias : null, full ? residual : null, full, plain);
                    } finally {
                        Convolution.INDIRECT = true;
                    }
                    for (int j = 0; j < y.length; j++) {
                        if (exact) {
                            assertEquals(Float.floatToRawIntBits(plain[j]), Float.floatToRawIntBits(y[j]),
                                    what + " full=" + full + " y[" + j + "] vs the plain path");
                        } else {
                            assertEquals(plain[j], y[j], 1e-5 * (1 + Math.abs(plain[j])),
                                    what + " full=" + full + " y[" + j + "] vs the batched path");
                        }
                    }
                    float[] col = new float[k * cols];
                    float[] fast = new float[oc * cols];
                    float[] ref = new float[oc * cols];
                    for (int i = 0; i < n; i++) {
                        Conv2dKernels.im2col(x, i * c * h * w, c, h, w, kh, kw, s, p, col, 0);
                        Gemm.sgemm(false, false, oc, cols, k, wt, 0, k, col, 0, cols, fast, 0, cols, false);
                        Gemm.reference(false, false, oc, cols, k, wt, 0, k, col, 0, cols, ref, 0, cols, false);
                        for (int o = 0; o < oc; o++) {
                            for (int j = 0; j < cols; j++) {
                                int yi = (i * oc + o) * cols + j;
                                float f = fast[o * cols + j];
                                double r = ref[o * cols + j];
                                if (full) {
                                    f = Math.max(f + bias[o] + residual[yi], 0f);
                                    r = Math.max(r + bias[o] + residual[yi], 0.0);
                                }
                                assertEquals(Float.floatToRawIntBits(f), Float.floatToRawIntBits(y[yi]),
                                        what + " full=" + full + " y[" + yi + "] vs the formed lowering");
                                assertEquals(r, y[yi], 1e-4 * (1 + Math.abs(r)), what + " y[" + yi + "] vs reference");
                            }
                        }
                    }
                }
            }
        }
        if (Gemm.vectorInUse() && Convolution.INDIRECT) {
            org.junit.jupiter.api.Assertions.assertTrue(indirect >= 30, "indirect product exercised: " + indirect);
        }
    }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextFloat() * 2 - 1;
        }
        return x;
    }
}
