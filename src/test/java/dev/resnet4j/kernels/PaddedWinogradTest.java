package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
    private static final int TILE_PAD = PaddedWinograd.TILE_PAD;

    @AfterEach
    void restore() {
        Parallel.setThreads(THREADS);
        PackedConv.PAIRS = PAIRS;
        PaddedWinograd.TILE_PAD = TILE_PAD;
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
                    float[] xhOffset = shifted(xh, 12);
                    float[] resOffset = shifted(resPadded, 12);
                    for (int variant = 0; variant < 4; variant++) {
                        boolean full = variant > 0;
                        int y0 = variant == 3 ? 12 : 0; // the activations (and V) at Align's offset
                        PackedConv.PAIRS = variant == 2 ? !PAIRS : PAIRS;
                        PaddedWinograd.TILE_PAD = variant == 2 ? 1 : TILE_PAD; // M's tiles one float apart
                        String what = "threads=" + threads + " n=" + n + " " + Arrays.toString(t) + " variant="
                                + variant;
                        float[] y = new float[size];
                        Winograd.forward(4, s, x, u, full ? bias : null, full ? residual : null, full, y);
                        float[] want = new float[resPadded.length];
                        PackedConv.toPadded(n, s.outC(), s.h(), s.w(), y, want);
                        float[] got = shifted(new float[resPadded.length], y0); // its border stays zero
                        int align = Align.FLOATS;
                        Align.FLOATS = y0;
                        try {
                            PaddedWinograd.forward(s, y0 > 0 ? xhOffset : xh, variant == 1 ? upOffset : up,
                                    full ? bias : null, full ? (y0 > 0 ? resOffset : resPadded) : null, full, got);
                        } finally {
                            Align.FLOATS = align;
                        }
                        for (int j = 0; j < y0; j++) {
                            assertTrue(Float.isNaN(got[j]), what + " wrote in front of y");
                        }
                        for (int j = 0; j < want.length; j++) {
                            assertEquals(Float.floatToRawIntBits(want[j]), Float.floatToRawIntBits(got[y0 + j]),
                                    what + " y[" + j + "]: " + got[y0 + j] + " vs " + want[j]);
                        }
                    }
                }
            }
        }
    }

    /** a with off NaNs in front: a buffer of the padded layout off floats into its array. */
    static float[] shifted(float[] a, int off) {
        float[] b = new float[off + a.length];
        java.util.Arrays.fill(b, 0, off, Float.NaN);
        System.arraycopy(a, 0, b, off, a.length);
        return b;
    }

    @Test
    void refusesBuffersOfAnotherSize() throws InterruptedException {
        assertTrue(Gemm.awaitVectorKernel(120_000), "vector kernel never became ready");
        Parallel.setThreads(2);
        int l = GemmVectorKernel.L;
        int nr = Gemm.NR;
        Convolution.Shape s = new Convolution.Shape(1, l, 4, 4, nr, 3, 3, 1, 1);
        float[] up = PaddedWinograd.pack(new float[36 * l * nr], nr, l);
        int in = PackedConv.paddedSize(1, l, 4, 4);
        int out = PackedConv.paddedSize(1, nr, 4, 4);
        var e = assertThrows(IllegalArgumentException.class,
                () -> PaddedWinograd.forward(s, new float[in - 1], up, null, null, false, new float[out]));
        assertTrue(e.getMessage().contains("x holds " + (in - 1)), e.getMessage());
        // the residual must start where y does
        e = assertThrows(IllegalArgumentException.class, () -> PaddedWinograd.forward(s, new float[in], up, null,
                new float[out + 12], false, new float[out]));
        assertTrue(e.getMessage().contains("residual starts 12"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PaddedWinograd.forward(s, new float[in], up, null,
                null, false, new float[out + 64]));
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
