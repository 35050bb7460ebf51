package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;

import java.util.Arrays;

/**
 * Times im2col, col2im and one image's convolution (im2col + GEMM, or the pointwise path) on
 * ResNet layer shapes; prints medians. Run after {@code mvn -o -q -B test-compile}:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes \
 *      dev.resnet4j.kernels.Conv2dBench
 * </pre>
 */
public final class Conv2dBench {
    private Conv2dBench() {
    }

    public static void main(String[] args) throws InterruptedException {
        Gemm.awaitVectorKernel(120_000);
        Parallel.setThreads(1);
        // C, H, W, OC, k, stride, pad
        int[][] layers = {{64, 56, 56, 64, 3, 1, 1}, {128, 28, 28, 128, 3, 1, 1},
            {256, 14, 14, 256, 3, 1, 1}, {3, 224, 224, 64, 7, 2, 3}, {256, 56, 56, 64, 1, 1, 0}};
        System.out.printf("%-28s %12s %12s %12s %10s%n", "layer (C,H,W,OC,k,s,p)", "im2col ms",
                "col2im ms", "conv ms", "GFLOP/s");
        for (int[] l : layers) {
            int c = l[0], h = l[1], w = l[2], oc = l[3], k = l[4], s = l[5], p = l[6];
            int oh = Conv2dKernels.outSize(h, k, s, p);
            int ow = Conv2dKernels.outSize(w, k, s, p);
            float[] x = new float[c * h * w];
            Arrays.fill(x, 0.5f);
            float[] col = new float[c * k * k * oh * ow];
            float[] wt = new float[oc * c * k * k];
            Arrays.fill(wt, 0.25f);
            float[] y = new float[oc * oh * ow];
            double im2col = median(() -> Conv2dKernels.im2col(x, 0, c, h, w, k, k, s, p, col, 0));
            double col2im = median(() -> Conv2dKernels.col2im(col, 0, c, h, w, k, k, s, p, x, 0));
            Convolution.Shape shape = new Convolution.Shape(1, c, h, w, oc, k, k, s, p);
            double conv = median(() -> Convolution.forward(shape, x, wt, null, y));
            double flops = 2.0 * oc * c * k * k * oh * ow;
            System.out.printf("%-28s %12.3f %12.3f %12.3f %10.1f%n", Arrays.toString(l), im2col, col2im,
                    conv, flops / conv / 1e6);
        }
    }

    /** Median milliseconds of 15 timed runs after ~0.5 s of warm-up. */
    private static double median(Runnable r) {
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < 500_000_000L) {
            r.run();
        }
        double[] ms = new double[15];
        for (int i = 0; i < ms.length; i++) {
            long s = System.nanoTime();
            r.run();
            ms[i] = (System.nanoTime() - s) / 1e6;
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }
}
