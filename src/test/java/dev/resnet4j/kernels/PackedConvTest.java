package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link PackedConv} (weights in output-channel panels, pixels broadcast from a channels-last
 * copy of the image) against a double-precision direct convolution ({@link DirectReference}), over odd map sizes,
 * kernels 1×1 to 7×7, strides 1–3, padding, output channel counts on both sides of a panel
 * (so that the last panel is partial), pixel counts that leave
 * the last tile short, 1 to 3 images on 1 to 3 threads, with and without bias, residual and
 * ReLU; gathering the channels-last copy, and running the tiles two at a time
 * ({@code kernelPixelPair}) or one at a time, change nothing, bit for bit.
 */
class PackedConvTest {
    private static final int DEFAULT_THREADS = Parallel.threads();
    private static final boolean DEFAULT_PAIRS = PackedConv.PAIRS;

    @AfterEach
    void restore() {
        Parallel.setThreads(DEFAULT_THREADS);
        PackedConv.GATHER = true;
        PackedConv.PAIRS = DEFAULT_PAIRS;
        PackedConv.PADDED = true;
        PackedConv.GROUP_MAJOR = true;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void forwardEqualsDirectConvolution(int threads) throws InterruptedException {
        assertTrue(Gemm.awaitVectorKernel(120_000), "vector kernel never became ready");
        Parallel.setThreads(threads);
        Random rnd = new Random(40 + threads);
        int[][] cases = { // c, h, w, kh, kw, stride, pad, outC
            {512, 7, 7, 3, 3, 1, 1, 70}, {256, 14, 14, 3, 3, 2, 1, 96}, {96, 14, 14, 1, 1, 2, 0, 100},
            {5, 9, 11, 3, 3, 1, 1, 13}, {3, 23, 19, 7, 7, 2, 3, 64}, {7, 10, 13, 5, 5, 3, 2, 33},
            {33, 6, 5, 3, 3, 1, 0, 31}, {17, 8, 8, 2, 3, 2, 1, 65}, {1, 4, 4, 3, 3, 1, 1, 1},
            {40, 1, 1, 3, 3, 1, 1, 40}, {64, 28, 28, 3, 3, 2, 1, 128}, {32, 30, 30, 3, 3, 2, 1, 64},
        };
        for (int n = 1; n <= 3; n++) {
            for (int[] t : cases) {
                Convolution.Shape s = new Convolution.Shape(n, t[0], t[1], t[2], t[7], t[3], t[4], t[5], t[6]);
                int k = s.c() * s.kh() * s.kw();
                int out = n * s.outC() * s.oh() * s.ow();
                float[] x = random(rnd, n * s.c() * s.h() * s.w());
                float[] w = random(rnd, s.outC() * k);
                float[] bias = random(rnd, s.outC());
                float[] residual = random(rnd, out);
                float[] wp = PackedConv.pack(w, s.outC(), s.c(), s.kh() * s.kw());
                for (boolean full : new boolean[]{false, true}) {
                    String what = "threads=" + threads + " n=" + n + " " + Arrays.toString(t) + " full=" + full;
                    float[] y = random(rnd, out); // every element must be overwritten
                    PackedConv.forward(s, x, wp, full ? bias : null, full ? residual : null, full, y);
                    double[] want = DirectReference.conv(s, x, w, full ? bias : null, full ? residual : null, full);
                    double tol = 2e-7 * k + 1e-6; // ±1 data: k terms' rounding errors ~ √k·√k·ε
                    for (int j = 0; j < out; j++) {
                        assertEquals(want[j], y[j], tol, what + " y[" + j + "]");
                    }
                    float[] copied = new float[out];
                    PackedConv.GATHER = false;
                    PackedConv.forward(s, x, wp, full ? bias : null, full ? residual : null, full, copied);
                    PackedConv.GATHER = true;
                    for (int j = 0; j < out; j++) {
                        assertEquals(Float.floatToRawIntBits(copied[j]), Float.floatToRawIntBits(y[j]),
                                what + " y[" + j + "] with the channels-last copy gathered and value by value");
                    }
                    float[] other = new float[out];
                    PackedConv.GROUP_MAJOR = false;
                    float[] wpOffset = PaddedWinogradTest.packed(() -> PackedConv.pack(w, s.outC(), s.c(),
                            s.kh() * s.kw()));
                    PackedConv.forward(s, x, wpOffset, full ? bias : null, full ? residual : null, full, other);
                    PackedConv.GROUP_MAJOR = true;
                    for (int j = 0; j < out; j++) {
                        assertEquals(Float.floatToRawIntBits(other[j]), Float.floatToRawIntBits(y[j]),
                                what + " y[" + j + "] with the units group by group and panel by panel, the weights "
                                        + "packed with and without Align's offset");
                    }
                    float[] paired = new float[out];
                    PackedConv.PAIRS = !DEFAULT_PAIRS;
                    PackedConv.forward(s, x, wp, full ? bias : null, full ? residual : null, full, paired);
                    PackedConv.PAIRS = DEFAULT_PAIRS;
                    for (int j = 0; j < out; j++) {
                        assertEquals(Float.floatToRawIntBits(paired[j]), Float.floatToRawIntBits(y[j]),
                                what + " y[" + j + "] with tiles two at a time and one at a time");
                    }
                }
            }
        }
    }

    /**
     * The padded channels-last form against the plain one, bit for bit: 3×3 convolutions with
     * padding 1 (stride 1 and 2) and 1×1 ones without (stride 1 and 2), odd sizes and channel
     * counts that are not whole panels, with and without bias, residual and ReLU, one image
     * and more than one, fewer than the workers; and the layout's copy and average pool.
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void paddedLayoutGivesTheSameBits(int threads) throws InterruptedException {
        assertTrue(Gemm.awaitVectorKernel(120_000), "vector kernel never became ready");
        Parallel.setThreads(threads);
        Random rnd = new Random(70 + threads);
        int[][] cases = { // c, h, w, k, stride, outC
            {512, 7, 7, 3, 1, 64}, {256, 14, 14, 3, 2, 96}, {96, 14, 14, 1, 2, 100}, {64, 9, 11, 1, 1, 40},
            {5, 9, 11, 3, 1, 13}, {33, 6, 5, 3, 2, 31}, {1, 4, 4, 3, 1, 1}, {40, 1, 1, 3, 1, 40},
            {16, 3, 2, 1, 2, 33},
        };
        for (int n = 1; n <= threads + 1; n++) {
            for (int[] t : cases) {
                int k = t[3];
                Convolution.Shape s = new Convolution.Shape(n, t[0], t[1], t[2], t[5], k, k, t[4], k / 2);
                assertTrue(PackedConv.appliesPadded(s), Arrays.toString(t));
                int oh = s.oh();
                int ow = s.ow();
                float[] x = random(rnd, n * s.c() * s.h() * s.w());
                float[] w = random(rnd, s.outC() * s.c() * k * k);
                float[] bias = random(rnd, s.outC());
                float[] residual = random(rnd, n * s.outC() * oh * ow);
                float[] wp = PackedConv.pack(w, s.outC(), s.c(), k * k);
                float[] xh = random(rnd, PackedConv.paddedSize(n, s.c(), s.h(), s.w())); // the copy writes it all
                PackedConv.toPadded(n, s.c(), s.h(), s.w(), x, xh);
                for (int i = 0; i < n; i++) {
                    for (int ci = 0; ci < s.c(); ci++) {
                        for (int r = 0; r < s.h() + 2; r++) {
                            for (int col = 0; col < s.w() + 2; col++) {
                                boolean inside = r >= 1 && r <= s.h() && col >= 1 && col <= s.w();
                                float want = inside ? x[((i * s.c() + ci) * s.h() + r - 1) * s.w() + col - 1] : 0f;
                                assertEquals(want, xh[((i * (s.h() + 2) + r) * (s.w() + 2) + col) * s.c() + ci],
                                        "toPadded " + Arrays.toString(t));
                            }
                        }
                    }
                }
                float[] resPadded = new float[PackedConv.paddedSize(n, s.outC(), oh, ow)];
                PackedConv.toPadded(n, s.outC(), oh, ow, residual, resPadded);
                for (boolean full : new boolean[]{false, true}) {
                    String what = "threads=" + threads + " n=" + n + " " + Arrays.toString(t) + " full=" + full;
                    float[] y = new float[n * s.outC() * oh * ow];
                    PackedConv.forward(s, x, wp, full ? bias : null, full ? residual : null, full, y);
                    float[] yh = new float[PackedConv.paddedSize(n, s.outC(), oh, ow)];
                    PackedConv.forwardPadded(s, xh, wp, full ? bias : null, full ? resPadded : null, full, yh);
                    float[] want = new float[yh.length];
                    PackedConv.toPadded(n, s.outC(), oh, ow, y, want);
                    for (int j = 0; j < yh.length; j++) {
                        assertEquals(Float.floatToRawIntBits(want[j]), Float.floatToRawIntBits(yh[j]),
                                what + " padded y[" + j + "]");
                    }
                    // the same with every buffer 12 floats into its array (Align's offset)
                    float[] xhOffset = PaddedWinogradTest.shifted(new float[xh.length], 12);
                    PackedConv.toPadded(n, s.c(), s.h(), s.w(), x, xhOffset);
                    float[] yhOffset = PaddedWinogradTest.shifted(new float[yh.length], 12);
                    PackedConv.forwardPadded(s, xhOffset, wp, full ? bias : null,
                            full ? PaddedWinogradTest.shifted(resPadded, 12) : null, full, yhOffset);
                    for (int j = 0; j < 12; j++) {
                        assertTrue(Float.isNaN(xhOffset[j]) && Float.isNaN(yhOffset[j]), what + " wrote in front");
                    }
                    for (int j = 0; j < yh.length; j++) {
                        assertEquals(Float.floatToRawIntBits(yh[j]), Float.floatToRawIntBits(yhOffset[12 + j]),
                                what + " padded y at an offset [" + j + "]");
                    }
                    float[] back = new float[y.length];
                    PackedConv.fromPadded(n, s.outC(), oh, ow, yhOffset, back);
                    assertArrayEquals(y, back, what + " fromPadded at an offset");
                    float[] pooledOffset = new float[n * s.outC()];
                    PackedConv.avgPoolPadded(n, s.outC(), oh, ow, yhOffset, pooledOffset);
                    float[] pooledPlain = new float[n * s.outC()];
                    PackedConv.avgPoolPadded(n, s.outC(), oh, ow, yh, pooledPlain);
                    assertArrayEquals(pooledPlain, pooledOffset, what + " avgPoolPadded at an offset");
                    // the average pool of the padded layout: each plane's sum in row-major order, then / H·W
                    float[] pooled = random(rnd, n * s.outC());
                    PackedConv.avgPoolPadded(n, s.outC(), oh, ow, yh, pooled);
                    for (int j = 0; j < pooled.length; j++) {
                        float sum = 0f;
                        for (int q = 0; q < oh * ow; q++) {
                            sum += y[j * oh * ow + q];
                        }
                        assertEquals(Float.floatToRawIntBits(sum / (oh * ow)), Float.floatToRawIntBits(pooled[j]),
                                what + " pooled[" + j + "]");
                    }
                }
            }
        }
    }

    @Test
    void paddedFormDeclinesOtherKernels() {
        Parallel.setThreads(2);
        assertFalse(PackedConv.appliesPadded(new Convolution.Shape(1, 8, 9, 9, 8, 3, 3, 1, 0)));
        assertFalse(PackedConv.appliesPadded(new Convolution.Shape(1, 8, 9, 9, 8, 5, 5, 1, 2)));
        assertFalse(PackedConv.appliesPadded(new Convolution.Shape(1, 8, 9, 9, 8, 1, 1, 1, 1)));
        assertFalse(PackedConv.appliesPadded(new Convolution.Shape(1, 8, 56, 56, 8, 3, 3, 1, 1)), "too many pixels");
        assertThrows(IllegalArgumentException.class, () -> PackedConv.forwardPadded(
                new Convolution.Shape(1, 8, 9, 9, 8, 3, 3, 1, 0), new float[1], new float[1], null, null, false,
                new float[1]));
    }

    @Test
    void packedLayoutIsTapMajorPanels() {
        int nr = Gemm.NR;
        int outC = nr + 3;
        int c = 2;
        int taps = 4;
        float[] w = new float[outC * c * taps];
        for (int i = 0; i < w.length; i++) {
            w[i] = i + 1;
        }
        float[] wp = PackedConv.pack(w, outC, c, taps);
        int w0 = Align.FLOATS;
        assertEquals(w0 + 2 * taps * c * nr, wp.length);
        for (int o = 0; o < 2 * nr; o++) {
            for (int ci = 0; ci < c; ci++) {
                for (int t = 0; t < taps; t++) {
                    float want = o < outC ? w[(o * c + ci) * taps + t] : 0f;
                    assertEquals(want, wp[w0 + ((o / nr * taps + t) * c + ci) * nr + o % nr],
                            "o=" + o + " c=" + ci + " t=" + t);
                }
            }
        }
    }

    @Test
    void appliesWhereMeasuredFaster() throws InterruptedException {
        assertTrue(Gemm.awaitVectorKernel(120_000), "vector kernel never became ready");
        Parallel.setThreads(2);
        // at batch 1 (224 px): layer4's 3×3 and its 1×1 shortcut, layer3's 3×3 (also instead
        // of F(2,3)), layer2's stride-2 3×3
        assertTrue(applies(1, 512, 7, 512, 3, 1, 1));
        assertTrue(applies(1, 256, 14, 512, 1, 2, 0));
        assertTrue(applies(1, 256, 14, 256, 3, 1, 1));
        assertTrue(applies(1, 128, 28, 256, 3, 2, 1));
        assertTrue(applies(1, 64, 56, 128, 3, 2, 1));
        // layer3's 1×1 shortcut: too little arithmetic per value copied
        assertFalse(applies(1, 128, 28, 256, 1, 2, 0));
        // layer1's and layer2's 3×3: F(4,3) stays
        assertFalse(applies(1, 64, 56, 64, 3, 1, 1));
        assertFalse(applies(1, 128, 28, 128, 3, 1, 1));
        // ResNet-50's 1×1 convolutions at 14×14, but not those with few output channels
        assertTrue(applies(1, 1024, 14, 256, 1, 1, 0));
        assertFalse(applies(1, 256, 14, 64, 1, 1, 0));
        // batch 2 and 16: layer3's and layer4's stride-2 3×3, layer2's only with tiles two at
        // a time, not instead of F(2,3) (layer4 at batch 2) or F(4,3) (at 16), not the 1×1 shortcuts
        for (boolean pairs : new boolean[]{false, true}) {
            PackedConv.PAIRS = pairs;
            for (int n : new int[]{2, 16}) {
                String what = "batch " + n + " pairs " + pairs;
                assertFalse(applies(n, 256, 14, 512, 1, 2, 0), what);
                assertTrue(applies(n, 128, 28, 256, 3, 2, 1), what);
                assertTrue(applies(n, 256, 14, 512, 3, 2, 1), what);
                assertEquals(pairs, applies(n, 64, 56, 128, 3, 2, 1), what);
                assertFalse(applies(n, 512, 7, 512, 3, 1, 1), what);
                assertFalse(applies(n, 64, 56, 64, 3, 1, 1), what);
            }
        }
        PackedConv.PAIRS = DEFAULT_PAIRS;
        Parallel.setThreads(1);
        assertTrue(applies(1, 512, 7, 512, 3, 1, 1));
        assertTrue(applies(1, 256, 14, 256, 3, 1, 1));
    }

    private static boolean applies(int n, int c, int hw, int outC, int k, int stride, int pad) {
        Convolution.Shape s = new Convolution.Shape(n, c, hw, hw, outC, k, k, stride, pad);
        return PackedConv.applies(s, Winograd.tileFor(s));
    }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextFloat() * 2 - 1;
        }
        return x;
    }
}
