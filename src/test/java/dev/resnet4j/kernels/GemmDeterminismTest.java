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
}
