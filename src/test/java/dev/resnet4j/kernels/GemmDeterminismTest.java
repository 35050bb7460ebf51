package dev.resnet4j.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The plain kernel (used while the vector kernel compiles) and the vector kernel round
 * identically, so a training run gives the same weights whenever the switch happens.
 */
class GemmDeterminismTest {
    @Test
    void scalarAndVectorKernelsAreBitIdentical() {
        SplittableRandom r = new SplittableRandom(7);
        for (int kc : new int[]{1, 3, 64, 257}) {
            float[] a = new float[kc * Gemm.MR];
            float[] b = new float[kc * Gemm.NR];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) r.nextGaussian();
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) r.nextGaussian();
            }
            float[] scalar = new float[Gemm.MR * Gemm.NR];
            float[] vector = new float[Gemm.MR * Gemm.NR];
            Gemm.scalarKernel(kc, a, 0, b, 0, scalar);
            GemmVectorKernel.kernel(kc, a, 0, b, 0, vector);
            assertArrayEquals(vector, scalar, "kc=" + kc);
        }
    }
    /**
     * sgemm with its row tiles two at a time ({@code kernelRowPair}) and one at a time, bit for
     * bit, through each of its paths: one A block with B packed in groups, few columns with A
     * read in place or packed (transposed), and the general blocking; row counts that leave a
     * single tile, a short second tile of a pair, and several blocks.
     */
    @Test
    void rowTilesTwoAtATimeAreBitIdentical() throws InterruptedException {
        org.junit.jupiter.api.Assertions.assertTrue(Gemm.awaitVectorKernel(120_000), "vector kernel never became ready");
        boolean pairs = Gemm.PAIRS;
        SplittableRandom r = new SplittableRandom(13);
        int[][] shapes = {{7, 40, 33}, {13, 300, 70}, {64, 1000, 147}, {150, 100, 200}, {300, 700, 300},
            {12, 64, 9}, {11, 5, 3}, {6, 50, 20}};
        try {
            for (int[] d : shapes) {
                int m = d[0], n = d[1], k = d[2];
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                    float[] a = gaussian(r, m * k);
                    float[] b = gaussian(r, k * n);
                    float[] c0 = gaussian(r, m * n);
                    float[][] got = new float[2][];
                    for (int v = 0; v < 2; v++) {
                        Gemm.PAIRS = v == 1;
                        got[v] = c0.clone();
                        Gemm.sgemm(ta, tb, m, n, k, a, 0, ta ? m : k, b, 0, tb ? k : n, got[v], 0, n, true);
                    }
                    assertArrayEquals(got[0], got[1], "m=" + m + " n=" + n + " k=" + k + " transA=" + ta
                            + " transB=" + tb);
                }
            }
        } finally {
            Gemm.PAIRS = pairs;
        }
    }

    private static float[] gaussian(SplittableRandom r, int size) {
        float[] x = new float[size];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    @Test
    void scalarAndVectorDotProductsAreBitIdentical() {
        // the dot products of A·Bᵀ with few rows (a fully connected layer at batch 1)
        SplittableRandom r = new SplittableRandom(11);
        float[] spill = new float[4 * Gemm.NR];
        for (int k : new int[]{1, 5, 63, 64, 65, 129, 512, 1000}) {
            float[] a = new float[k + 3];
            float[] b = new float[k + 5];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) r.nextGaussian();
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) r.nextGaussian();
            }
            float vector = GemmVectorKernel.dot(k, a, 3, b, 5, spill);
            float scalar = Gemm.dotPlain(k, a, 3, b, 5, spill);
            org.junit.jupiter.api.Assertions.assertEquals(Float.floatToRawIntBits(vector),
                    Float.floatToRawIntBits(scalar), "k=" + k);
        }
    }
}
