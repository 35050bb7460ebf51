package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;

/** Cold-start cost: time of the first calls in a fresh JVM (JIT tiers, Vector API in C1). */
public final class FirstCallProbe {
    public static void main(String[] args) {
        Parallel.setThreads(1);
        int m = 64, n = 3136, k = 576;
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        long t0 = System.nanoTime();
        for (int i = 0; i < 12; i++) {
            long s = System.nanoTime();
            Gemm.sgemm(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n, false);
            System.out.printf("call %d: %.1f ms%n", i, (System.nanoTime() - s) / 1e6);
        }
        System.out.printf("total %.1f ms%n", (System.nanoTime() - t0) / 1e6);
    }
}
