package dev.resnet4j.kernels;

/** Micro-kernel alone, data in L1: the ceiling the blocked GEMM can approach. */
public final class KernelProbe {
    public static void main(String[] args) {
        int kc = 256, mr = Gemm.MR, nr = Gemm.NR;
        float[] a = new float[kc * mr];
        float[] b = new float[kc * nr];
        float[] c = new float[mr * nr * 4];
        float[] tile = new float[mr * nr];
        for (int i = 0; i < a.length; i++) a[i] = i % 7 * 0.01f;
        for (int i = 0; i < b.length; i++) b[i] = i % 5 * 0.01f;
        for (int rep = 0; rep < 15; rep++) {
            int calls = 200_000;
            long t = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            for (int i = 0; i < calls; i++) {
                GemmVectorKernel.kernel(kc, a, 0, b, 0, tile);
            }
            double s = (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - t) / 1e9;
            System.out.printf("%.1f GFLOP/s%n", 2.0 * kc * mr * nr * calls / s / 1e9);
        }
    }
}
