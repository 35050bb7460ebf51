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
