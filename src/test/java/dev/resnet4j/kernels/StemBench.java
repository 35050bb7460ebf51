package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;

import java.util.Arrays;
import java.util.Random;

/**
 * ResNet's stem with its max-pool at 224 px, the two forms taking turns call by call in one JVM:
 * {@link ConvMaxPool} (NCHW) followed by the copy into the padded channels-last layout that
 * layer1's run reads, and {@link PackedStem} (which writes that layout itself). Prints min and
 * median of each. Args: iterations, threads; {@code -Dbatch} (default 1).
 */
public final class StemBench {
    private StemBench() {
    }

    public static void main(String[] args) throws InterruptedException {
        int iters = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Parallel.setThreads(threads);
        Gemm.awaitVectorKernel(120_000);
        int n = Integer.getInteger("batch", 1);
        Convolution.Shape s = new Convolution.Shape(n, 3, 224, 224, 64, 7, 7, 2, 3);
        Random r = new Random(1);
        float[] x = new float[n * 3 * 224 * 224];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] w = new float[64 * 147];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian() * 0.1f;
        }
        float[] b = new float[64];
        float[] wp = PackedStem.pack(w, 64, 3, 7, 7);
        float[] nchw = new float[n * 64 * 56 * 56];
        float[] copied = new float[PackedConv.paddedSize(n, 64, 56, 56)];
        float[] packed = new float[PackedConv.paddedSize(n, 64, 56, 56)];
        double[][] t = new double[3][iters];
        for (int it = -iters / 2; it < iters; it++) {
            long t0 = System.nanoTime();
            if (!ConvMaxPool.forward(s, x, w, b, true, 3, 2, 1, nchw)) {
                throw new IllegalStateException("ConvMaxPool declined the stem");
            }
            long t1 = System.nanoTime();
            PackedConv.toPadded(n, 64, 56, 56, nchw, copied);
            long t2 = System.nanoTime();
            PackedStem.forward(s, x, wp, b, true, 3, 2, 1, packed);
            long t3 = System.nanoTime();
            if (it >= 0) {
                t[0][it] = (t1 - t0) / 1e6;
                t[1][it] = (t2 - t1) / 1e6;
                t[2][it] = (t3 - t2) / 1e6;
            }
        }
        System.out.printf("stem 7x7/2 + maxpool 3x3/2 at 224 px, batch %d, %d threads, %d iterations (ms)%n", n,
                threads, iters);
        String[] names = {"ConvMaxPool (NCHW)", "  + copy into the layout", "PackedStem (into the layout)"};
        for (int k = 0; k < 3; k++) {
            Arrays.sort(t[k]);
            System.out.printf("  %-30s min %7.3f  median %7.3f%n", names[k], t[k][0], t[k][iters / 2]);
        }
    }
}
