package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link PaddedWinograd} against {@link Winograd}'s F(4,3) on the same data, bit for bit: maps
 * that are and are not multiples of the tile (edge tiles reading past the stored border),
 * channel counts from one vector to two panels and past one depth block (two and three), with and without bias, residual and ReLU, one
 * to four images on two and three workers (blocks of tiles across images), both pixel kernels;
 * and the shapes it declines.
 */
class PaddedWinogradTest {
    private static final int THREADS = Parallel.threads();
    private static final boolean PAIRS = PackedConv.PAIRS;

    @AfterEach
    void restore() {
        Parallel.setThreads(THREADS);
        PackedConv.PAIRS = PAIRS;
    }

    /** Packs with the data 12 floats into the array ({@link Align}'s offset with 64-byte objects). */
    static float[] packed(java.util.function.Supplier<float[]> pack) {
        int old = Align.FLOATS;
        Align.FLOATS = old == 0 ? 12 : 0;
        try {
            return pack.get();
        } finally {
            Align.FLOATS = old;
        }
    }

    @Test
    void sameBitsAsWinograd() throws InterruptedException {
        assertTrue(Gemm.awaitVectorKernel(120_000), "vector kernel never became ready");
        int l = GemmVectorKernel.L;
        int nr = Gemm.NR;
        Random rnd = new Random(17);
        int[][] cases = { // c, h, w, outC
            {64, 56, 56, 64}, {2 * l, 28, 28, 2 * nr}, {l, 9, 13, nr}, {2 * l, 7, 7, 2 * nr}, {l, 5, 6, nr},
            {l, 1, 1, nr}, {3 * l, 10, 11, 3 * nr}, {l, 2, 17, nr},
            // more channels than one depth block: two and three blocks, summed as Gemm sums them
            {Gemm.KC + 4 * l, 7, 7, nr}, {2 * Gemm.KC + 2 * l, 5, 6, 2 * nr},
        };
        for (int threads : new int[]{2, 3}) {
            Parallel.setThreads(threads);
            for (int n = 1; n <= threads + 1; n++) { // fewer images than workers, and as many or more
                for (int[] t : cases) {
                    Convolution.Shape s = new Convolution.Shape(n, t[0], t[1], t[2], t[3], 3, 3, 1, 1);
                    assertTrue(PaddedWinograd.applies(s), Arrays.toString(t));
                    int size = n * s.outC() * s.h() * s.w();
                    float[] x = random(rnd, n * s.c() * s.h() * s.w());
                    float[] w = random(rnd, s.outC() * s.c() * 9);
                    float[] bias = random(rnd, s.outC());
                    float[] residual = random(rnd, size);
                    float[] u = Winograd.transformWeights(4, w, s.outC(), s.c());
                    float[] up = PaddedWinograd.pack(u, s.outC(), s.c());
                    float[] upOffset = packed(() -> PaddedWinograd.pack(u, s.outC(), s.c())); // after Align's floats
                    float[] xh = new float[PackedConv.paddedSize(n, s.c(), s.h(), s.w())];
                    PackedConv.toPadded(n, s.c(), s.h(), s.w(), x, xh);
                    float[] resPadded = new float[PackedConv.paddedSize(n, s.outC(), s.h(), s.w())];
                    PackedConv.toPadded(n, s.outC(), s.h(), s.w(), residual, resPadded);
                    for (int variant = 0; variant < 3; variant++) {
                        boolean full = variant > 0;
                        PackedConv.PAIRS = variant == 2 ? !PAIRS : PAIRS;
                        String what = "threads=" + threads + " n=" + n + " " + Arrays.toString(t) + " variant="
                                + variant;
                        float[] y = new float[size];
                        Winograd.forward(4, s, x, u, full ? bias : null, full ? residual : null, full, y);
                        float[] want = new float[resPadded.length];
                        PackedConv.toPadded(n, s.outC(), s.h(), s.w(), y, want);
                        float[] got = new float[resPadded.length]; // its border stays zero
                        PaddedWinograd.forward(s, xh, variant == 1 ? upOffset : up, full ? bias : null,
                                full ? resPadded : null, full, got);
                        for (int j = 0; j < got.length; j++) {
                            assertEquals(Float.floatToRawIntBits(want[j]), Float.floatToRawIntBits(got[j]),
                                    what + " y[" + j + "]: " + got[j] + " vs " + want[j]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void declinesOtherShapes() {
        Parallel.setThreads(2);
        int l = GemmVectorKernel.L;
        int nr = Gemm.NR;
        assertFalse(PaddedWinograd.applies(new Convolution.Shape(1, l, 8, 8, nr, 3, 3, 2, 1)), "stride 2");
        assertFalse(PaddedWinograd.applies(new Convolution.Shape(1, l, 8, 8, nr, 1, 1, 1, 0)), "1x1");
        assertFalse(PaddedWinograd.applies(new Convolution.Shape(1, l + 1, 8, 8, nr, 3, 3, 1, 1)), "channels");
        assertFalse(PaddedWinograd.applies(new Convolution.Shape(1, l, 8, 8, nr + 1, 3, 3, 1, 1)), "panels");
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }
}
