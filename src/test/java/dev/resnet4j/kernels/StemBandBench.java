package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;

import java.util.Arrays;
import java.util.Random;

/**
 * The fused stem's band budget ({@code ConvMaxPool.bandBytes}) A/B/C in one JVM, the settings
 * taking turns call by call: ResNet's stem (7×7/2, 3→64, then the 3×3/2 max-pool) at 224 px.
 * Args: iterations, threads; {@code -Dbatch}, {@code -DbandsKB=512,1024,256}.
 */
public final class StemBandBench {
    private StemBandBench() {
    }

    public static void main(String[] args) throws InterruptedException {
        int iters = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Parallel.setThreads(threads);
        Gemm.awaitVectorKernel(120_000);
        int n = Integer.getInteger("batch", 16);
        long[] kb = Arrays.stream(System.getProperty("bandsKB", "512,1024,256").split(","))
                .mapToLong(Long::parseLong).toArray();
        Convolution.Shape s = new Convolution.Shape(n, 3, 224, 224, 64, 7, 7, 2, 3);
        Random r = new Random(5);
        float[] x = new float[n * 3 * 224 * 224];
        float[] w = new float[64 * 147];
        float[] b = new float[64];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() - 0.5f;
        for (int i = 0; i < w.length; i++) w[i] = (r.nextFloat() - 0.5f) * 0.1f;
        float[] y = new float[n * 64 * 56 * 56];
        double[] med = Alternating.medians(kb.length, iters, q -> ConvMaxPool.bandBytes = kb[q] << 10,
                () -> ConvMaxPool.forward(s, x, w, b, true, 3, 2, 1, y));
        for (int v = 0; v < kb.length; v++) {
            System.out.printf("stem, batch %d: band %5d KB: median %.3f ms  (%.3f of the first)%n", n, kb[v], med[v],
                    med[v] / med[0]);
        }
    }
}
