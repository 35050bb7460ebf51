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
 * {@link PackedStem} against its definition in plain Java, bit for bit: the fma chain over
 * kernel columns, kernel rows and input channels from +0, {@link Pooling#maxPool}, + bias and
 * ReLU; ResNet's stem at 224 px and at odd sizes, grayscale, other kernels and pools, channel
 * counts from one vector to a partial panel, one to four images on one to three workers, the
 * pooled rows cut one at a time (the rows a worker holds reused or not), both pixel kernels,
 * with and without bias and ReLU; its border left alone; and the shapes it declines. The
 * definition itself is checked against {@link Convolution#forward} + {@link Pooling#maxPool}
 * within rounding.
 */
class PackedStemTest {
    private static final int THREADS = Parallel.threads();
    private static final boolean PAIRS = PackedConv.PAIRS;
    private static final int TILE_PAD = PackedStem.TILE_PAD;
    private static final boolean PIXEL_MAJOR = PoolVectorKernel.PIXEL_MAJOR;

    @AfterEach
    void restore() {
        Parallel.setThreads(THREADS);
        Parallel.finestPieces(false);
        PackedConv.PAIRS = PAIRS;
        PackedStem.TILE_PAD = TILE_PAD;
        PoolVectorKernel.PIXEL_MAJOR = PIXEL_MAJOR;
    }

    @Test
    void sameBitsAsTheDefinition() throws InterruptedException {
        assertTrue(Gemm.awaitVectorKernel(120_000), "vector kernel never became ready");
        int l = GemmVectorKernel.L;
        Random rnd = new Random(5);
        int[][] cases = { // c, h, w, outC, kernel, stride, pad, pool kernel, pool stride, pool pad
            {3, 224, 224, 64, 7, 2, 3, 3, 2, 1},
            {3, 97, 61, 64, 7, 2, 3, 3, 2, 1},
            {1, 28, 28, 64, 7, 2, 3, 3, 2, 1},
            {1, 33, 45, 4 * l, 7, 2, 3, 3, 2, 1},
            {3, 40, 40, 2 * l, 3, 1, 1, 2, 2, 0},
            {2, 30, 26, l, 5, 2, 2, 3, 1, 1},
            {4, 50, 31, 3 * l, 3, 2, 1, 5, 3, 2},
            {2 * l, 20, 20, 4 * l, 3, 1, 1, 3, 2, 1},
            {2, 5, 6, l, 3, 1, 1, 3, 2, 1},
            {3, 9, 9, l, 7, 2, 3, 1, 2, 0},
        };
        for (int threads : new int[]{1, 2, 3}) {
            Parallel.setThreads(threads);
            for (int n = 1; n <= threads + 1; n++) {
                for (int[] t : cases) {
                    if (n > 1 && t[1] > 100) {
                        continue; // the large one at batch 1 only
                    }
                    Convolution.Shape s = new Convolution.Shape(n, t[0], t[1], t[2], t[3], t[4], t[4], t[5], t[6]);
                    int pk = t[7];
                    int ps = t[8];
                    int pp = t[9];
                    assertTrue(PackedStem.applies(s, pk, ps, pp), Arrays.toString(t));
                    float[] x = random(rnd, n * s.c() * s.h() * s.w());
                    float[] w = random(rnd, s.outC() * s.colRows());
                    float[] bias = random(rnd, s.outC());
                    float[] wp = PackedStem.pack(w, s.outC(), s.c(), s.kh(), s.kw());
                    float[] wpOffset = PaddedWinogradTest.packed(() -> PackedStem.pack(w, s.outC(), s.c(), s.kh(), s.kw()));
                    int ph = Pooling.outSize(s.oh(), pk, ps, pp);
                    int pw = Pooling.outSize(s.ow(), pk, ps, pp);
                    float[] wantFull = definition(s, x, w, bias, true, pk, ps, pp);
                    float[] wantBare = definition(s, x, w, null, false, pk, ps, pp);
                    for (int variant = 0; variant < 4; variant++) {
                        boolean full = variant != 1;
                        PackedConv.PAIRS = variant == 2 ? !PAIRS : PAIRS;
                        PackedStem.TILE_PAD = variant == 2 ? 1 : TILE_PAD; // the ring's tiles one float apart
                        PoolVectorKernel.PIXEL_MAJOR = variant == 2 ? !PIXEL_MAJOR : PIXEL_MAJOR;
                        Parallel.finestPieces(variant == 3);
                        String what = "threads=" + threads + " n=" + n + " " + Arrays.toString(t) + " variant="
                                + variant;
                        float[] want = full ? wantFull : wantBare;
                        // variant 3: the output 12 floats into its buffer (Align's offset)
                        int y0 = variant == 3 ? 12 : 0;
                        float[] got = new float[y0 + PackedConv.paddedSize(n, s.outC(), ph, pw)];
                        Arrays.fill(got, Float.NaN); // the border and the floats in front must stay as they were
                        int align = Align.FLOATS;
                        Align.FLOATS = y0; // the ring too
                        try {
                            PackedStem.forward(s, x, variant == 3 ? wpOffset : wp, full ? bias : null, full, pk, ps,
                                    pp, got);
                        } finally {
                            Align.FLOATS = align;
                        }
                        for (int j = 0; j < y0; j++) {
                            assertTrue(Float.isNaN(got[j]), what + " wrote in front of y");
                        }
                        for (int i = 0; i < n; i++) {
                            for (int r = 0; r < ph + 2; r++) {
                                for (int col = 0; col < pw + 2; col++) {
                                    for (int o = 0; o < s.outC(); o++) {
                                        int at = y0 + ((i * (ph + 2) + r) * (pw + 2) + col) * s.outC() + o;
                                        boolean border = r == 0 || col == 0 || r == ph + 1 || col == pw + 1;
                                        float expected = border ? Float.NaN
                                                : want[((i * s.outC() + o) * ph + r - 1) * pw + col - 1];
                                        assertEquals(Float.floatToRawIntBits(expected),
                                                Float.floatToRawIntBits(got[at]),
                                                what + " image " + i + " (" + r + ", " + col + ") channel " + o
                                                        + ": " + got[at] + " vs " + expected);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void definitionIsTheConvolutionThenThePool() {
        Random rnd = new Random(8);
        Convolution.Shape s = new Convolution.Shape(2, 3, 37, 41, 16, 7, 7, 2, 3);
        float[] x = random(rnd, s.n() * s.c() * s.h() * s.w());
        float[] w = random(rnd, s.outC() * s.colRows());
        float[] bias = random(rnd, s.outC());
        float[] conv = new float[s.n() * s.outC() * s.oh() * s.ow()];
        Convolution.forward(s, x, w, bias, null, true, conv);
        int ph = Pooling.outSize(s.oh(), 3, 2, 1);
        int pw = Pooling.outSize(s.ow(), 3, 2, 1);
        float[] pooled = new float[s.n() * s.outC() * ph * pw];
        Pooling.maxPool(conv, s.n() * s.outC(), s.oh(), s.ow(), 3, 2, 1, pooled);
        float[] def = definition(s, x, w, bias, true, 3, 2, 1);
        int differ = 0;
        for (int j = 0; j < def.length; j++) {
            assertEquals(pooled[j], def[j], 1e-4f * (1 + Math.abs(pooled[j])), "y[" + j + "]");
            differ += pooled[j] != def[j] ? 1 : 0;
        }
        assertTrue(differ > 0, "another order of the sums should round differently somewhere");
    }

    @Test
    void declinesOtherShapes() {
        int l = GemmVectorKernel.L;
        Convolution.Shape stem = new Convolution.Shape(1, 3, 32, 32, 4 * l, 7, 7, 2, 3);
        assertFalse(PackedStem.applies(new Convolution.Shape(1, 3, 32, 32, 4 * l + 1, 7, 7, 2, 3), 3, 2, 1),
                "channels not whole vectors");
        assertFalse(PackedStem.applies(stem, 3, 2, 2), "pool padding over half its kernel");
        assertFalse(PackedStem.applies(new Convolution.Shape(1, 3, 1, 1, 4 * l, 7, 7, 2, 3), 3, 2, 0),
                "nothing left after the pool");
        boolean on = PackedStem.ON;
        try {
            PackedStem.ON = false;
            assertFalse(PackedStem.applies(stem, 3, 2, 1), "switched off");
        } finally {
            PackedStem.ON = on;
        }
    }

    /** maxpool(relu(conv + bias)) [n, outC, PH, PW], the sums as fma chains in PackedStem's order. */
    private static float[] definition(Convolution.Shape s, float[] x, float[] w, float[] bias, boolean relu, int pk,
                                      int ps, int pp) {
        int oh = s.oh();
        int ow = s.ow();
        int k = s.kh();
        float[] conv = new float[s.n() * s.outC() * oh * ow];
        for (int i = 0; i < s.n(); i++) {
            for (int o = 0; o < s.outC(); o++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        float acc = 0f;
                        for (int kj = 0; kj < k; kj++) {
                            for (int ki = 0; ki < k; ki++) {
                                int iy = oy * s.stride() - s.pad() + ki;
                                int ix = ox * s.stride() - s.pad() + kj;
                                boolean in = iy >= 0 && iy < s.h() && ix >= 0 && ix < s.w();
                                for (int c = 0; c < s.c(); c++) {
                                    float v = in ? x[((i * s.c() + c) * s.h() + iy) * s.w() + ix] : 0f;
                                    acc = Math.fma(v, w[((o * s.c() + c) * k + ki) * k + kj], acc);
                                }
                            }
                        }
                        conv[((i * s.outC() + o) * oh + oy) * ow + ox] = acc;
                    }
                }
            }
        }
        int ph = Pooling.outSize(oh, pk, ps, pp);
        int pw = Pooling.outSize(ow, pk, ps, pp);
        float[] y = new float[s.n() * s.outC() * ph * pw];
        Pooling.maxPool(conv, s.n() * s.outC(), oh, ow, pk, ps, pp, y);
        for (int j = 0; j < y.length; j++) {
            float v = y[j] + (bias == null ? 0f : bias[j / (ph * pw) % s.outC()]);
            y[j] = relu ? Math.max(v, 0f) : v;
        }
        return y;
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }
}
