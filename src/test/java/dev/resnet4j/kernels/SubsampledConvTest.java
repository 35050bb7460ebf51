package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The strided 1×1 inference path ({@code Convolution.forwardSubsampled}: gathered pixels, the
 * epilogue fused into the tile stores) against a double-precision direct convolution
 * ({@link DirectReference}), and bit for bit against the general path (im2col or the batched
 * gather, then sgemm, then the epilogue pass), over strides 2 and 3, odd maps, channel counts
 * on both sides of a tile, 1 to 5 images on 1 to 3 threads (so columns split, rows split, and
 * whole images per worker all run), with and without bias, residual and ReLU.
 */
class SubsampledConvTest {
    private static final int DEFAULT_THREADS = Parallel.threads();

    @AfterEach
    void restore() {
        Parallel.setThreads(DEFAULT_THREADS);
        Convolution.SUBSAMPLED = true;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void equalsDirectConvolutionAndTheGeneralPathBitForBit(int threads) throws InterruptedException {
        assertTrue(Gemm.awaitVectorKernel(120_000), "vector kernel never became ready");
        Parallel.setThreads(threads);
        Random rnd = new Random(60 + threads);
        int[][] cases = { // c, h, w, stride, outC
            {64, 56, 56, 2, 128}, {128, 28, 28, 2, 256}, {256, 14, 14, 2, 512}, {5, 9, 11, 2, 7},
            {33, 17, 13, 3, 70}, {200, 40, 40, 2, 13}, {1, 3, 3, 2, 1}, {7, 1, 1, 2, 9}, {300, 8, 8, 2, 40},
        };
        for (int n : new int[]{1, 2, 5}) {
            for (int[] t : cases) {
                Convolution.Shape s = new Convolution.Shape(n, t[0], t[1], t[2], t[4], 1, 1, t[3], 0);
                Convolution.SUBSAMPLED = true;
                assertTrue(Convolution.subsampled(s), s.toString());
                int out = n * s.outC() * s.oh() * s.ow();
                float[] x = random(rnd, n * s.c() * s.h() * s.w());
                float[] w = random(rnd, s.outC() * s.c());
                float[] bias = random(rnd, s.outC());
                float[] residual = random(rnd, out);
                for (int form = 0; form < 3; form++) {
                    float[] b = form > 0 ? bias : null;
                    float[] res = form == 2 ? residual : null;
                    boolean relu = form != 1;
                    String what = "threads=" + threads + " n=" + n + " " + Arrays.toString(t) + " form=" + form;
                    float[] y = random(rnd, out); // every element must be overwritten
                    Convolution.SUBSAMPLED = true;
                    Convolution.forward(s, x, w, b, res, relu, y);
                    double[] want = DirectReference.conv(s, x, w, b, res, relu);
                    double tol = 2e-7 * s.c() + 1e-6;
                    for (int j = 0; j < out; j++) {
                        assertEquals(want[j], y[j], tol, what + " y[" + j + "]");
                    }
                    float[] general = random(rnd, out);
                    Convolution.SUBSAMPLED = false;
                    Convolution.forward(s, x, w, b, res, relu, general);
                    for (int j = 0; j < out; j++) {
                        assertEquals(Float.floatToRawIntBits(general[j]), Float.floatToRawIntBits(y[j]),
                                what + " y[" + j + "] against the general path");
                    }
                }
            }
        }
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextFloat() * 2 - 1;
        }
        return a;
    }
}
