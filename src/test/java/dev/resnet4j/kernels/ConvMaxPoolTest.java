package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused convolution + max-pool against the two steps it replaces
 * ({@link Convolution#forward} with its epilogue, then {@link Pooling#maxPool}), bit for bit:
 * ResNet's stem at 224 px and at odd sizes, other pools, one and several bands (the rows a
 * band shares with the previous one moved, not recomputed), batches above and below the
 * worker count, with and without bias and ReLU, ResNet's 3×3/2 pool in vectors and in plain
 * Java (padding 1 and 0); and the cases it declines.
 */
class ConvMaxPoolTest {
    private static final int THREADS = Parallel.threads();
    private static final long BAND = ConvMaxPool.bandBytes;

    @AfterEach
    void restore() {
        Parallel.setThreads(THREADS);
        ConvMaxPool.bandBytes = BAND;
        ConvMaxPool.VECTOR_POOL = true;
    }

    /** {n, c, h, w, outC, k, stride, pad, pool kernel, pool stride, pool pad} */
    private static final int[][] CASES = {
        {1, 3, 224, 224, 64, 7, 2, 3, 3, 2, 1},
        {3, 3, 97, 61, 64, 7, 2, 3, 3, 2, 1},
        {2, 1, 33, 45, 64, 7, 2, 3, 3, 2, 1},
        {1, 3, 40, 40, 20, 3, 1, 1, 2, 2, 0},
        {3, 2, 30, 26, 7, 5, 2, 2, 3, 1, 1},
        {2, 4, 50, 31, 12, 3, 2, 1, 5, 3, 2},
        {1, 3, 64, 64, 64, 7, 2, 3, 3, 2, 1},
        {2, 3, 71, 90, 40, 3, 1, 1, 3, 2, 0},
        {1, 2, 5, 6, 9, 3, 1, 1, 3, 2, 1},
    };

    @Test
    void sameBitsAsConvolutionThenPool() throws InterruptedException {
        Gemm.awaitVectorKernel(120_000);
        Random rnd = new Random(3);
        int fused = 0;
        for (int threads : new int[]{1, 2, 3}) {
            Parallel.setThreads(threads);
            for (long band : new long[]{BAND, 16 << 10, 1}) {
                ConvMaxPool.bandBytes = band;
                for (int[] t : CASES) {
                    Convolution.Shape s = new Convolution.Shape(t[0], t[1], t[2], t[3], t[4], t[5], t[5], t[6], t[7]);
                    int pk = t[8];
                    int ps = t[9];
                    int pp = t[10];
                    float[] x = random(rnd, s.n() * s.c() * s.h() * s.w());
                    float[] w = random(rnd, s.outC() * s.colRows());
                    float[] bias = random(rnd, s.outC());
                    int ph = Pooling.outSize(s.oh(), pk, ps, pp);
                    int pw = Pooling.outSize(s.ow(), pk, ps, pp);
                    for (int variant = 0; variant < 4; variant++) {
                        boolean full = variant % 2 == 0;
                        ConvMaxPool.VECTOR_POOL = variant < 2; // ResNet's 3×3/2 pool in vectors, and plain
                        float[] conv = new float[s.n() * s.outC() * s.oh() * s.ow()];
                        Convolution.forward(s, x, w, full ? bias : null, null, full, conv);
                        float[] want = new float[s.n() * s.outC() * ph * pw];
                        Pooling.maxPool(conv, s.n() * s.outC(), s.oh(), s.ow(), pk, ps, pp, want);
                        float[] got = random(rnd, want.length); // every element must be written
                        boolean ran = ConvMaxPool.forward(s, x, w, full ? bias : null, full, pk, ps, pp, got);
                        if (!ran) {
                            assertFalse(Gemm.vectorInUse() && Convolution.indirect(s) && !Convolution.batched(s),
                                    "declined " + java.util.Arrays.toString(t));
                            continue;
                        }
                        fused++;
                        for (int j = 0; j < want.length; j++) {
                            assertEquals(Float.floatToRawIntBits(want[j]), Float.floatToRawIntBits(got[j]),
                                    java.util.Arrays.toString(t) + " threads=" + threads + " band=" + band + " full="
                                            + full + " vectorPool=" + ConvMaxPool.VECTOR_POOL + " y[" + j + "]: "
                                            + got[j] + " vs " + want[j]);
                        }
                    }
                }
            }
        }
        // the four stem-like cases and the 3×3/2 pool at padding 0 at least (the others are small maps the batched lowering takes)
        assertTrue(!Gemm.vectorInUse() || fused >= 3 * 3 * 4 * 5, "fused cases: " + fused);
    }

    @Test
    void declinesPaddingOverHalfTheKernel() {
        Convolution.Shape s = new Convolution.Shape(1, 3, 32, 32, 8, 7, 7, 2, 3);
        assertFalse(ConvMaxPool.forward(s, new float[3 * 32 * 32], new float[8 * 147], null, true, 2, 2, 2,
                new float[8 * 9 * 9]));
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }
}
