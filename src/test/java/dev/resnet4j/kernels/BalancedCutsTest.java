package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The inference kernels whose loops {@link Parallel#forRangeBalanced} shares out give the same
 * bits however the loops are cut: one thread against 2 and 3 threads with the usual pieces and
 * with one index a call ({@link Parallel#finestPieces}), which also runs the fused stem's pooled
 * rows a few at a time (its memo of the product rows a thread holds), PackedConv's tile groups
 * one by one, and Winograd's blocks and phases in single steps.
 */
class BalancedCutsTest {
    private static final int DEFAULT_THREADS = Parallel.threads();
    private static final long BAND = ConvMaxPool.bandBytes;
    private static final long BLOCK = Winograd.BLOCK_BYTES;

    @AfterEach
    void restore() {
        Parallel.finestPieces(false);
        Parallel.setThreads(DEFAULT_THREADS);
        ConvMaxPool.bandBytes = BAND;
        Winograd.BLOCK_BYTES = BLOCK;
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextFloat() * 2 - 1;
        }
        return a;
    }

    /** A square convolution {n, c, h, outC, k, stride, pad} and random operands for it. */
    private record Operands(Convolution.Shape s, float[] x, float[] w, float[] bias, float[] residual, int out) {
    }

    private static Operands operands(Random r, int[] t) {
        Convolution.Shape s = new Convolution.Shape(t[0], t[1], t[2], t[2], t[3], t[4], t[4], t[5], t[6]);
        int out = s.n() * s.outC() * s.oh() * s.ow();
        return new Operands(s, random(r, s.n() * s.c() * s.h() * s.w()), random(r, s.outC() * s.colRows()),
                random(r, s.outC()), random(r, out), out);
    }

    /** Runs {@code kernel} into a fresh array on 1 thread, then on 2 and 3, usual and finest pieces: same bits. */
    private static void sameBitsAcrossCuts(String what, int size, Consumer<float[]> kernel) {
        Parallel.finestPieces(false);
        Parallel.setThreads(1);
        float[] want = new float[size];
        kernel.accept(want);
        for (int threads : new int[]{2, 3}) {
            for (boolean finest : new boolean[]{false, true}) {
                Parallel.setThreads(threads);
                Parallel.finestPieces(finest);
                for (int rep = 0; rep < 3; rep++) {
                    float[] got = new float[size];
                    Arrays.fill(got, Float.NaN); // every element must be written
                    kernel.accept(got);
                    for (int j = 0; j < size; j++) {
                        assertEquals(Float.floatToRawIntBits(want[j]), Float.floatToRawIntBits(got[j]),
                                what + " threads=" + threads + " finest=" + finest + " y[" + j + "]");
                    }
                }
            }
        }
        Parallel.finestPieces(false);
    }

    @Test
    void packedConvolution() throws InterruptedException {
        assertTrue(Gemm.awaitVectorKernel(120_000), "vector kernel never became ready");
        Random r = new Random(11);
        int[][] cases = { // n, c, h, outC, k, stride, pad
            {1, 64, 14, 70, 3, 1, 1}, {1, 48, 13, 96, 3, 2, 1}, {1, 96, 14, 100, 1, 2, 0}, {3, 32, 9, 40, 3, 2, 1},
        };
        for (int[] t : cases) {
            Operands o = operands(r, t);
            float[] wp = PackedConv.pack(o.w, o.s.outC(), o.s.c(), o.s.kh() * o.s.kw());
            sameBitsAcrossCuts("PackedConv " + o.s, o.out,
                    y -> PackedConv.forward(o.s, o.x, wp, o.bias, o.residual, true, y));
        }
    }

    @Test
    void fusedStem() throws InterruptedException {
        assertTrue(Gemm.awaitVectorKernel(120_000), "vector kernel never became ready");
        Random r = new Random(12);
        for (int n : new int[]{1, 3}) {
            for (long band : new long[]{BAND, 16 << 10}) {
                ConvMaxPool.bandBytes = band;
                Convolution.Shape s = new Convolution.Shape(n, 3, 64, 60, 64, 7, 7, 2, 3);
                float[] x = random(r, n * 3 * 64 * 60);
                float[] w = random(r, 64 * s.colRows());
                float[] bias = random(r, 64);
                int out = n * 64 * Pooling.outSize(s.oh(), 3, 2, 1) * Pooling.outSize(s.ow(), 3, 2, 1);
                sameBitsAcrossCuts("stem n=" + n + " band=" + band, out,
                        y -> assertTrue(ConvMaxPool.forward(s, x, w, bias, true, 3, 2, 1, y), "fused form declined"));
            }
        }
    }

    @Test
    void winograd() throws InterruptedException {
        assertTrue(Gemm.awaitVectorKernel(120_000), "vector kernel never became ready");
        Random r = new Random(13);
        int[][] cases = { // m, n, c, h, outC, block KB
            {4, 1, 16, 28, 24, 4096}, {4, 1, 16, 56, 16, 4096}, {4, 4, 16, 20, 24, 64}, {2, 2, 24, 14, 16, 4096},
        };
        for (int[] t : cases) {
            Winograd.BLOCK_BYTES = (long) t[5] << 10;
            Convolution.Shape s = new Convolution.Shape(t[1], t[2], t[3], t[3], t[4], 3, 3, 1, 1);
            float[] x = random(r, s.n() * s.c() * s.h() * s.w());
            float[] u = Winograd.transformWeights(t[0], random(r, s.outC() * s.colRows()), s.outC(), s.c());
            float[] bias = random(r, s.outC());
            int out = s.n() * s.outC() * s.oh() * s.ow();
            float[] residual = random(r, out);
            sameBitsAcrossCuts("Winograd F(" + t[0] + ",3) " + s, out,
                    y -> Winograd.forward(t[0], s, x, u, bias, residual, true, y));
        }
    }

    @Test
    void indirectSubsampledAndDirectConvolutions() throws InterruptedException {
        assertTrue(Gemm.awaitVectorKernel(120_000), "vector kernel never became ready");
        Random r = new Random(14);
        int[][] cases = { // n, c, h, outC, k, stride, pad
            {1, 16, 30, 32, 1, 2, 0}, {2, 16, 30, 40, 1, 2, 0}, {1, 24, 14, 64, 1, 2, 0}, {1, 8, 40, 16, 3, 2, 1},
            {3, 8, 40, 16, 3, 1, 1}, {1, 3, 50, 16, 7, 2, 3},
        };
        for (int[] t : cases) {
            Operands o = operands(r, t);
            sameBitsAcrossCuts("Convolution " + o.s, o.out,
                    y -> Convolution.forward(o.s, o.x, o.w, o.bias, o.residual, true, y));
        }
    }

    @Test
    void headDotProducts() throws InterruptedException {
        assertTrue(Gemm.awaitVectorKernel(120_000), "vector kernel never became ready");
        Random r = new Random(15);
        int m = 2;
        int n = 1000;
        int k = 512;
        float[] a = random(r, m * k);
        float[] b = random(r, n * k);
        sameBitsAcrossCuts("A·Bᵀ " + m + "x" + n + "x" + k, m * n,
                c -> Gemm.sgemm(false, true, m, n, k, a, 0, k, b, 0, k, c, 0, n, false));
    }
}
